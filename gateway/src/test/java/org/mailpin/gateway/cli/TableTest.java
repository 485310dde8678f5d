package org.mailpin.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void columnsAlignAndEmptyCellsShowDash() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        new Table("BACKEND", "TAG", "USERS").row("be1", "", 12).row("backend-two", "pool", null)
                .print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        assertEquals("""
                BACKEND      TAG   USERS
                be1          -     12
                backend-two  pool  -
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void wrongCellCountRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("only one"));
    }

    @Test
    void wildcardAdminListenUsesLoopback() {
        assertEquals(URI.create("http://127.0.0.1:9180/"), AdminOptions.baseUrl("0.0.0.0", 9180));
        assertEquals(URI.create("http://[::1]:9180/"), AdminOptions.baseUrl("::", 9180));
        assertEquals(URI.create("http://[fd00::5]:9180/"), AdminOptions.baseUrl("fd00::5", 9180));
        assertEquals(URI.create("http://10.0.0.5:9180/"), AdminOptions.baseUrl("10.0.0.5", 9180));
    }

    @Test
    void missingConfigNamesFile() {
        CommandRun run = CommandRun.execute("status", "--config", "/nonexistent/mailpin.yaml");

        assertEquals(78, run.exitCode());
        assertEquals(true, run.err().contains("/nonexistent/mailpin.yaml not found; pass --config FILE or set "
                + "MAILPIN_CONFIG"), run.err());
    }

    @Test
    void missingTokenFileSaysWhereToPoint() {
        CommandRun run = CommandRun.execute("status", "--url", "http://127.0.0.1:9/", "--token-file", "/nonexistent/t");

        assertEquals(78, run.exitCode());
        assertEquals(true, run.err().contains("point it at the token file of the running gateway"), run.err());
    }
}
