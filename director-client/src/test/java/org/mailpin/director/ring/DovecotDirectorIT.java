package org.mailpin.director.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.UsernameNormalizer;

/**
 * Compares {@link DovecotRing} with the {@code Hashed:} line of {@code doveadm director status USER}
 * from Dovecot 2.3's own director, whose ring Mailpin must reproduce so that a site moving off
 * Dovecot's director keeps every user on the same backend.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DovecotDirectorIT {

    private static final UsernameNormalizer NORMALIZER = UsernameNormalizer.dovecotDefault();

    private static final List<Backend> BACKENDS = List.of(
            backend("127.0.0.31", 100),
            backend("127.0.0.32", 50),
            backend("127.0.0.33", 200),
            backend("127.0.0.34", 7));

    // Three pairs whose point vhosts-1 hashes collide. DovecotRingTest.tiedPointsOrderedByAddress
    // explains each pair.
    private static final List<Backend> TIED_BACKENDS = List.of(
            backend("127.0.0.9", 243),
            backend("127.0.0.56", 696),
            backend("127.0.1.88", 249),
            backend("2001:db8::c7", 89),
            backend("fd00::71", 121),
            backend("fd00::120", 217));

    @TempDir
    Path workDir;

    @BeforeAll
    static void requireDovecot() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(DovecotDirector.DOVECOT), DovecotDirector.DOVECOT
                + " not found: install Dovecot 2.3 (dovecot-core, or examples/install-deps.sh) to compare the "
                + "ring with Dovecot's director");
        String version = dovecotVersion();
        assertTrue(version.startsWith("2.3."), "Dovecot " + version + " has no director (Dovecot 2.4 removed it); "
                + "this comparison needs Dovecot 2.3");
    }

    @Test
    void hashedMatchesRingForMixedUsers() throws Exception {
        List<String> users = mixedUsers(1200);

        try (DovecotDirector director = DovecotDirector.start(workDir, BACKENDS)) {
            List<String> hashed = director.hashedBackends(users);

            assertEquals(List.of(), mismatches(DovecotRing.of(BACKENDS), users, hashed));
        }
    }

    @Test
    void hashedMatchesRingAfterBackendDown() throws Exception {
        List<String> users = mixedUsers(150);
        List<Backend> afterDown = BACKENDS.stream()
                .map(b -> b.address().equals("127.0.0.33") ? b.withUp(false) : b)
                .toList();
        long onDownBackend = users.stream()
                .filter(user -> DovecotRing.of(BACKENDS).lookup(ringKey(user)).orElseThrow().address()
                        .equals("127.0.0.33"))
                .count();

        try (DovecotDirector director = DovecotDirector.start(workDir, BACKENDS)) {
            director.down("127.0.0.33");
            List<String> hashed = director.hashedBackends(users);

            assertTrue(onDownBackend > 0, "some users must start on the backend that goes down");
            assertEquals(List.of(), mismatches(DovecotRing.of(afterDown), users, hashed));
        }
    }

    @Test
    void hashedMatchesRingForTiedPoints() throws Exception {
        DovecotRing ring = DovecotRing.of(TIED_BACKENDS);
        List<String> tieUsers = List.of(
                userJustBelowTie("127.0.0.9", 243),
                userJustBelowTie("127.0.1.88", 249),
                userJustBelowTie("fd00::71", 121));
        List<String> users = new ArrayList<>(tieUsers);
        users.addAll(mixedUsers(200));

        try (DovecotDirector director = DovecotDirector.start(workDir, TIED_BACKENDS)) {
            List<String> hashed = director.hashedBackends(users);

            assertEquals("127.0.0.9", hashed.get(0), "Dovecot's choice for " + tieUsers.get(0));
            assertEquals("127.0.1.88", hashed.get(1), "Dovecot's choice for " + tieUsers.get(1));
            assertEquals("fd00::71", hashed.get(2), "Dovecot's choice for " + tieUsers.get(2));
            assertEquals(List.of(), mismatches(ring, users, hashed));
        }
    }

    // Usernames in the forms clients send: bare and with a domain, any case, UTF-8 in several
    // scripts, and punctuation that a shell or Dovecot's admin protocol must pass through unchanged.
    private static List<String> mixedUsers(int count) {
        List<String> users = new ArrayList<>(List.of("Nguyễn.Văn@Ví-Dụ.vn", "testuser", "testuser@domain",
                "User01@Example.TEST", "user01@example.test", "user01",
                // MD5 of this name starts with four zero bytes, so its user hash is 1.
                "u1-2607eaed"));
        for (int i = 0; users.size() < count; i++) {
            users.add(switch (i % 12) {
                case 0 -> "user" + i;
                case 1 -> "User" + i + "@Example.TEST";
                case 2 -> "Nguyễn.Văn" + i + "@Ví-Dụ.vn";
                case 3 -> "ÄRZTE" + i + "@MÜLLER.De";
                case 4 -> "用户" + i + "@例子.测试";
                case 5 -> "Ωμέγα" + i + "@ΠΑΡΆΔΕΙΓΜΑ.ελ";
                case 6 -> "First.Last+Tag" + i + "@Sub.Example.ORG";
                case 7 -> "O'Brien Smith" + i;
                case 8 -> "DOMAIN\\MiXeD" + i;
                case 9 -> "100%Sure" + i + "@example.test";
                case 10 -> "say\"hi\"" + i;
                default -> "mail😀" + i + "@X.test";
            });
        }
        return users;
    }

    // A lowercase ASCII name whose hash lies between the tied hash and the point below it, so
    // the ring returns the backend whose tied point sorts first.
    private static String userJustBelowTie(String firstIp, int firstVhosts) {
        long tiedHash = RingHash.pointHash(firstIp, firstVhosts - 1);
        long below = 0;
        for (Backend backend : TIED_BACKENDS) {
            for (int i = 0; i < backend.vhosts(); i++) {
                long hash = RingHash.pointHash(backend.address(), i);
                if (hash < tiedHash) {
                    below = Math.max(below, hash);
                }
            }
        }
        // The gap is about 2^32 / 1615 points wide, so a match takes about 1615 tries on average.
        for (int n = 0; n < 1_000_000; n++) {
            String user = "tie" + n + "@example.test";
            long hash = RingHash.userHash(user);
            if (hash > below && hash < tiedHash) {
                return user;
            }
        }
        throw new IllegalStateException("no user among 1 000 000 tries hashes just below " + tiedHash);
    }

    private static List<String> mismatches(DovecotRing ring, List<String> users, List<String> hashed) {
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < users.size(); i++) {
            String mailpin = ring.lookup(ringKey(users.get(i))).map(Backend::address).orElse("(none)");
            if (!mailpin.equals(hashed.get(i))) {
                mismatches.add(users.get(i) + ": Dovecot " + hashed.get(i) + ", Mailpin " + mailpin);
            }
        }
        return mismatches;
    }

    private static String ringKey(String user) {
        return NORMALIZER.ringKey(NORMALIZER.normalize(user));
    }

    private static String dovecotVersion() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(DovecotDirector.DOVECOT.toString(), "--version")
                .redirectErrorStream(true)
                .start();
        byte[] output = process.getInputStream().readAllBytes();
        process.waitFor(10, TimeUnit.SECONDS);
        return new String(output, StandardCharsets.UTF_8).strip();
    }

    private static Backend backend(String ip, int vhosts) {
        return new Backend("be-" + ip.replace(':', '-'), ip, vhosts, "", BackendPorts.DEFAULTS, null, true);
    }
}
