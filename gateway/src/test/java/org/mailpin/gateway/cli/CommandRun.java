package org.mailpin.gateway.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import picocli.CommandLine;

/**
 * Runs the {@code mailpin} command in this JVM and captures its exit code and output.
 *
 * <p>Subcommands print with {@code System.out} and {@code System.err}, and picocli prints usage
 * errors to its own error writer, so all three are captured. System streams are global, so
 * tests that use this class must not run in parallel with other tests that print.
 */
public record CommandRun(int exitCode, String out, String err) {

    public static CommandRun execute(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter usageErrors = new StringWriter();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        int exitCode;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine command = MailpinCommand.commandLine();
            command.setErr(new PrintWriter(usageErrors, true));
            exitCode = command.execute(args);
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        return new CommandRun(exitCode, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8) + usageErrors);
    }
}
