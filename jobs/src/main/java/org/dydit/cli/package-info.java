/** The command line ({@code bin/dydit}): one picocli command per pipeline step, results on stdout, logs on stderr. */
package org.dydit.cli;
