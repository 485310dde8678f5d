package org.mailpin.gateway.it;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;

/**
 * Collects everything the gateway in this JVM logs while it is open: every event of every logger,
 * formatted with its MDC and full stack trace, and everything written to stdout and stderr, where
 * the gateway's console appender writes. Unlike {@link LogCapture}, which keeps only the messages
 * of Mailpin's loggers, this collects what an operator's log file would contain.
 *
 * <p>The given loggers are set to DEBUG while open. Output of java.util.logging is not collected:
 * its console handler took the original stderr when it was created.
 */
final class AllLogsCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private final StringBuffer events = new StringBuffer();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Map<Logger, Level> previousLevels = new HashMap<>();
    private final PatternLayout layout = new PatternLayout();
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;

    AllLogsCapture(List<String> debugLoggers) {
        layout.setContext(context);
        layout.setPattern("%level [%thread] %logger %mdc - %msg%n%ex{full}");
        layout.start();
        setContext(context);
        start();
        root.addAppender(this);
        for (String name : debugLoggers) {
            Logger logger = context.getLogger(name);
            previousLevels.put(logger, logger.getLevel());
            logger.setLevel(Level.DEBUG);
        }
        System.setOut(new PrintStream(new Tee(originalOut, console), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr, console), true, StandardCharsets.UTF_8));
    }

    @Override
    protected void append(ILoggingEvent event) {
        events.append(layout.doLayout(event));
    }

    /** Returns the formatted log events, then the console output, collected so far. */
    String text() {
        synchronized (console) {
            return events + "\n" + console.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        previousLevels.forEach(Logger::setLevel);
        root.detachAppender(this);
        stop();
        layout.stop();
    }

    /** Writes to the original stream and to the copy. */
    private static final class Tee extends OutputStream {

        private final PrintStream original;
        private final ByteArrayOutputStream copy;

        Tee(PrintStream original, ByteArrayOutputStream copy) {
            this.original = original;
            this.copy = copy;
        }

        @Override
        public void write(int b) {
            synchronized (copy) {
                copy.write(b);
            }
            original.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            synchronized (copy) {
                copy.write(bytes, offset, length);
            }
            original.write(bytes, offset, length);
        }

        @Override
        public void flush() {
            original.flush();
        }
    }
}
