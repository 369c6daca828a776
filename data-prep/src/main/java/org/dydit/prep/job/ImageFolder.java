package org.dydit.prep.job;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.dydit.prep.dataset.Storage;

/**
 * An ImageFolder tree: one sub-folder per class, labels in sorted folder order, images anywhere below
 * their class folder. Entries come sorted by (label, path), the order the dataset keeps.
 */
final class ImageFolder {
    private ImageFolder() {}

    static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff");

    enum Kind { IMAGE, NOT_AN_IMAGE, EMPTY_CLASS, OUTSIDE_CLASS }

    /** One input item: an image to encode, or something to list as rejected in its place. */
    record Entry(Kind kind, String path, int label) implements Serializable {}

    record Scan(List<String> classes, List<Entry> entries) {}

    static Scan scan(String root, Configuration conf) throws IOException {
        Path dir = new Path(root);
        FileSystem fs = Storage.fs(dir, conf);
        if (!fs.exists(dir)) throw new IOException("input folder " + root + " does not exist");
        if (!fs.getFileStatus(dir).isDirectory()) throw new IOException("input " + root + " is not a folder");
        FileStatus[] top = fs.listStatus(dir);
        // String order, which is Python's sorted() (torchvision's class order) for names within the BMP.
        java.util.Arrays.sort(top, Comparator.comparing(s -> s.getPath().getName()));
        List<String> classes = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        List<Entry> outside = new ArrayList<>();
        for (FileStatus s : top) {
            String name = s.getPath().getName();
            if (name.startsWith(".")) continue;
            if (!s.isDirectory()) {
                outside.add(new Entry(Kind.OUTSIDE_CLASS, s.getPath().toString(), -1));
                continue;
            }
            int label = classes.size();
            classes.add(name);
            List<String> files = new ArrayList<>();
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(s.getPath(), true);
            while (it.hasNext()) {
                Path p = it.next().getPath();
                if (!hidden(s.getPath(), p)) files.add(p.toString());
            }
            files.sort(null);
            if (files.isEmpty()) entries.add(new Entry(Kind.EMPTY_CLASS, s.getPath().toString(), label));
            for (String f : files) {
                entries.add(new Entry(isImage(f) ? Kind.IMAGE : Kind.NOT_AN_IMAGE, f, label));
            }
        }
        if (classes.isEmpty()) throw new IOException("input folder " + root + " has no class sub-folders");
        outside.addAll(entries);
        return new Scan(classes, outside);
    }

    /** Hidden files or files inside hidden folders below the class folder (.DS_Store, .git). */
    private static boolean hidden(Path classDir, Path p) {
        for (Path q = p; q != null && !q.equals(classDir); q = q.getParent()) {
            if (q.getName().startsWith(".")) return true;
        }
        return false;
    }

    static boolean isImage(String path) {
        int dot = path.lastIndexOf('.');
        return dot >= 0 && IMAGE_EXTENSIONS.contains(path.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
