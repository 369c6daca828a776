package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The manifest lists the first 100 issues in input order, however the tasks cut the input; the count is exact. */
class IssuesTest {
    @Test
    void countsAllAndKeepsTheFirstHundredInInputOrder() {
        // Three tasks' issues, merged in task order as the driver does: 30, 60 and 60 inputs.
        int[] sizes = {30, 60, 60};
        Issues merged = new Issues();
        int next = 0;
        for (int size : sizes) {
            Issues task = new Issues();
            for (int i = 0; i < size; i++, next++) task.add("f" + next, "reason " + next);
            merged.addAll(task);
        }
        assertEquals(150, merged.count());
        List<String> paths = merged.first().stream().map(Issues.Entry::path).toList();
        assertEquals(IntStream.range(0, Issues.KEEP).mapToObj(i -> "f" + i).toList(), paths);
        assertEquals("reason 99", merged.first().get(Issues.KEEP - 1).reason());
    }
}
