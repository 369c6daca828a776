package org.dydit.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Where the golden fixtures of the reference PyTorch code live.
 *
 * <p>{@code DYDIT_GOLDEN} wins when set. Otherwise the folder is {@code ../shared/fixtures/golden}
 * beside the repository root, which Surefire passes as the system property {@code dydit.root}
 * (from {@code maven.multiModuleProjectDirectory}), because each module's tests run in the module's
 * own folder. A missing folder fails the test: a golden test never skips.
 */
public final class Golden {
    private Golden() {}

    /** The golden fixture root; fails the calling test when it does not exist. */
    public static Path root() {
        String env = System.getenv("DYDIT_GOLDEN");
        Path dir;
        if (env != null && !env.isBlank()) {
            dir = Paths.get(env);
        } else {
            String repo = System.getProperty("dydit.root");
            Path base = repo != null && !repo.isBlank() ? Paths.get(repo) : Paths.get("").toAbsolutePath();
            dir = base.resolve("../shared/fixtures/golden").normalize();
        }
        if (!Files.isDirectory(dir)) {
            fail("golden fixture folder not found: " + dir.toAbsolutePath()
                    + " (set DYDIT_GOLDEN to the folder that holds dit/, dydit/, diffusion/ ...)");
        }
        return dir;
    }

    /** A sub-folder or file of the fixture root, such as {@code dit/cases.safetensors}; fails when missing. */
    public static Path path(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            fail("golden fixture missing: " + p.toAbsolutePath());
        }
        return p;
    }
}
