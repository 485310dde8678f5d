package org.mailpin.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.ring.DovecotRing;

import com.fasterxml.jackson.databind.ObjectMapper;

class RingCommandTest {

    /** The ring that {@code --backends 10.0.0.1,10.0.0.2:50} describes. */
    private static final DovecotRing RING = DovecotRing.of(List.of(
            new Backend("10.0.0.1", "10.0.0.1", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("10.0.0.2", "10.0.0.2", 50, "", BackendPorts.DEFAULTS, null, true)));

    @Test
    void jsonMatchesDovecotRing() {
        CommandRun run = CommandRun.execute("ring", "--json", "--backends", "10.0.0.1,10.0.0.2:50", "testuser");

        String expected = RING.lookup("testuser").orElseThrow().address();
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("[{\"user\":\"testuser\",\"backend\":\"" + expected + "\"}]", run.out().strip());
    }

    @Test
    void jsonNormalizesUsers() throws Exception {
        CommandRun run = CommandRun.execute("ring", "--json", "--default-domain", "Example.TEST",
                "--backends", "10.0.0.1,10.0.0.2:50", "User01", "user02@other.test");

        UsernameNormalizer normalizer = new UsernameNormalizer(true, "example.test", "%Lu");
        String expected = new ObjectMapper().writeValueAsString(List.of(
                row("user01@example.test", normalizer),
                row("user02@other.test", normalizer)));
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(expected, run.out().strip());
    }

    @Test
    void tablePrintsHeaderAndRow() {
        CommandRun run = CommandRun.execute("ring", "--backends", "10.0.0.1,10.0.0.2:50", "testuser");

        String expected = RING.lookup("testuser").orElseThrow().address();
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("USER      BACKEND", "testuser  " + expected), run.out().lines().toList());
    }

    @Test
    void zeroVhostsRingHasNoBackend() {
        CommandRun run = CommandRun.execute("ring", "--json", "--backends", "10.0.0.1:0", "testuser");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("[{\"user\":\"testuser\",\"backend\":null}]", run.out().strip());
    }

    @Test
    void bracketedIpv6Accepted() {
        CommandRun run = CommandRun.execute("ring", "--json", "--backends", "[2001:DB8::1]:10", "testuser");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("[{\"user\":\"testuser\",\"backend\":\"2001:db8::1\"}]", run.out().strip());
    }

    @Test
    void badIpRejected() {
        CommandRun run = CommandRun.execute("ring", "--backends", "10.0.0.1,10.0.0.x", "testuser");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("invalid IP address '10.0.0.x'"), run.err());
        assertEquals("", run.out());
    }

    @Test
    void badVhostsRejected() {
        CommandRun run = CommandRun.execute("ring", "--backends", "10.0.0.1:many", "testuser");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("invalid vhosts 'many' in --backends 10.0.0.1:many"), run.err());
    }

    @Test
    void vhostsAboveMaximumRejected() {
        CommandRun run = CommandRun.execute("ring", "--backends", "10.0.0.1:5000", "testuser");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("invalid vhosts 5000: expected 0 to 1000"), run.err());
    }

    @Test
    void controlCharacterInUserRejected() {
        CommandRun run = CommandRun.execute("ring", "--backends", "10.0.0.1", "user\r\n01");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("invalid username 'user\\r\\n01'"), run.err());
    }

    @Test
    void missingBackendsRejected() {
        CommandRun run = CommandRun.execute("ring", "testuser");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("--backends"), run.err());
    }

    /** Returns the JSON row the command prints for a normalized user, with the backend from {@link #RING}. */
    private static Map<String, String> row(String user, UsernameNormalizer normalizer) {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("user", user);
        row.put("backend", RING.lookup(normalizer.ringKey(user)).orElseThrow().address());
        return row;
    }
}
