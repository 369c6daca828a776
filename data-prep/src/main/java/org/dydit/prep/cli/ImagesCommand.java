package org.dydit.prep.cli;

import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.encode.ImageEncoders;
import org.dydit.prep.job.ImageFolderJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.Map;

/** {@code dydit prep images}: an ImageNet-style folder (one subfolder per class) to encoded records. */
@Command(name = "images", mixinStandardHelpOptions = true, sortOptions = false,
        description = "An ImageFolder tree (one sub-folder per class) to records: each image converted to RGB, ADM "
                + "centre-cropped to --size, with --flip both followed by its mirror image, and encoded "
                + "(--encoder pixel: 3 x size x size in [-1, 1]). Rejected files are listed in the manifest.")
final class ImagesCommand extends JobCommand {
    /** The largest crop side: 3 x 8192 x 8192 float32 values are 805 MB a record, far beyond any DiT's 512. */
    static final int MAX_SIZE = 8192;

    @Option(names = "--in", paramLabel = "DIR", required = true, description = "The image folder.")
    String in;

    @Option(names = "--size", paramLabel = "N", defaultValue = "256", description = "Crop side in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--encoder", paramLabel = "NAME", defaultValue = "pixel",
            description = "The encoder registered in ImageEncoders (default ${DEFAULT-VALUE}: the crop's pixels).")
    String encoder;

    @Option(names = "--flip", paramLabel = "none|both", defaultValue = "none",
            description = "both: each image followed by its mirror image (default ${DEFAULT-VALUE}).")
    String flip;

    @Override
    Map<String, String> inputs() {
        return Map.of("--in", in);
    }

    @Override
    Job prepare(DatasetSpec ds) {
        Checks.range(spec, "--size", size, 1, MAX_SIZE, "a record holds channels x size x size values");
        Checks.choice(spec, "--flip", flip, "none", "both");
        ImageFolderJob.Options o = new ImageFolderJob.Options();
        o.spec = ds;
        o.in = in;
        o.size = size;
        o.flip = flip;
        o.partitions = dataset.partitions();
        try {
            o.encoder = ImageEncoders.byName(encoder);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--encoder: " + e.getMessage());
        }
        return (sc, log) -> ImageFolderJob.run(sc, o, log);
    }
}
