package org.dydit.formats;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Bad input in a file this module reads: the message names the file and, where one applies, the key
 * (tensor name, zip entry, pickle global) so a user can find the fault without a debugger.
 */
public class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: key 'KEY': WHAT", or "FILE: WHAT" when there is no key. */
    public static FormatException of(Object file, String key, String what) {
        return new FormatException(message(file, key, what));
    }

    public static FormatException of(Object file, String key, String what, Throwable cause) {
        return new FormatException(message(file, key, what), cause);
    }

    static String message(Object file, String key, String what) {
        String f = file instanceof Path ? ((Path) file).toAbsolutePath().toString() : String.valueOf(file);
        return key == null ? f + ": " + what : f + ": key '" + key + "': " + what;
    }
}
