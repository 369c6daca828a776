package org.dydit.model;

import org.dydit.formats.SafeTensors;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The case groups of a golden DiT {@code cases.safetensors}, each one required complete. */
public final class GoldenCases {
    private GoldenCases() {}

    /**
     * Prefixes of the case groups: the plain forward ("") and the guided one ("cfg_"), which the fixture README
     * promises, then any other {@code P_x} group. A group lacking one of x, t, y, out (the guided one also scale)
     * fails naming the file and the key, so a fixture without a part cannot drop its comparison.
     */
    public static List<String> groups(SafeTensors cases) {
        List<String> p = new ArrayList<>(List.of("", "cfg_"));
        for (String name : cases.names()) {
            String pre = name.endsWith("_x") ? name.substring(0, name.length() - 1) : null;
            if (pre != null && !p.contains(pre)) p.add(pre);
        }
        for (String pre : p) {
            for (String k : pre.equals("cfg_") ? List.of("x", "t", "y", "scale", "out") : List.of("x", "t", "y", "out")) {
                assertTrue(cases.contains(pre + k), cases.path() + " has no '" + pre + k + "'");
            }
        }
        return p;
    }
}
