package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code bin/mailpin doctor} against the demo topology's real Dovecot backends: first healthy,
 * then with a wrong password, then with be2's passdb missing one user (the deployment where users
 * on one backend could not log in to webmail), then with be2 stopped.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DoctorIT {

    // Time per backend in the doctor runs. doctor stops at a backend's first rejected login, which
    // Dovecot 2.3.19 delayed by 2 s, or 6 s after another failure from the same address shortly
    // before; 30 s leaves room for a loaded machine.
    private static final String BUDGET = "30s";
    private static final Duration RUN_LIMIT = Duration.ofMinutes(2);

    private static Topology topology;
    private static Path jarFolder;
    private static Path jar;

    /** One run of the CLI. */
    private record Run(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void startTopology() throws Exception {
        // Others may rebuild gateway/target/mailpin.jar during the run, so doctor runs from a copy.
        jarFolder = Files.createTempDirectory("mailpin-it-doctor-jar-");
        jar = Files.copy(Topology.REPO.resolve("gateway/target/mailpin.jar"), jarFolder.resolve("mailpin.jar"),
                StandardCopyOption.REPLACE_EXISTING);
        topology = Topology.start("separate");
    }

    @AfterAll
    static void stopTopology() throws Exception {
        try {
            if (topology != null) {
                topology.close();
            }
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(jarFolder);
        }
    }

    @Test
    @Order(1)
    void healthyBackendsAgree() throws Exception {
        String user = Topology.user(1);
        String assigned = topology.gateway.director().assign(user).backendId();

        Run text = doctor(user, Topology.password(1));
        Run json = doctor(user, Topology.password(1), "--json");
        System.out.println("DoctorIT: report of healthy backends:\n" + text.out());

        assertEquals(0, text.exitCode(), text.out() + text.err());
        assertTrue(text.out().contains("Verdict: All 2 backends accept the login and show the same INBOX (UIDVALIDITY "),
                text.out());
        JsonNode report = new ObjectMapper().readTree(json.out());
        assertEquals(0, json.exitCode(), json.err());
        assertEquals(user, report.get("user").asText());
        for (JsonNode backend : report.get("backends")) {
            assertEquals(List.of("imap accepted", "pop3 accepted", "sieve accepted"), statuses(backend),
                    backend.toString());
        }
        assertEquals(report.at("/backends/0/services/0/inbox/uidValidity").asLong(),
                report.at("/backends/1/services/0/inbox/uidValidity").asLong(), "UIDVALIDITY on be1 and be2");
        assertTrue(report.at("/backends/0/services/0/inbox/messages").asLong() >= 1, report.toString());
        assertEquals(report.at("/backends/0/services/0/inbox/messages").asLong(),
                report.at("/backends/1/services/0/inbox/messages").asLong(), "message count on be1 and be2");
        assertTrue(report.at("/backends/0/services/0/inbox/quota").isNull(), "the demo backends have no quota plugin");
        assertEquals(ringChoice(user), report.at("/ringChoice/id").asText());
        assertEquals(assigned, report.at("/assignment/backend").asText());
        assertTrue(report.at("/assignment/assigned").asBoolean(), report.toString());
    }

    @Test
    @Order(2)
    void wrongPasswordRejectedEverywhere() throws Exception {
        String user = Topology.user(1);

        Run run = doctor(user, "wrong-" + Topology.password(1), "--json");

        JsonNode report = new ObjectMapper().readTree(run.out());
        System.out.println("DoctorIT: verdict for a wrong password: " + report.get("verdict").asText());
        assertEquals(1, run.exitCode(), run.out() + run.err());
        for (JsonNode backend : report.get("backends")) {
            assertEquals(List.of("imap rejected", "pop3 not_tried", "sieve not_tried"), statuses(backend),
                    backend.toString());
            assertEquals("not tried: IMAP login rejected", backend.at("/services/1/problem").asText());
        }
        assertTrue(report.get("verdict").asText().startsWith("Every backend rejects the imap login of " + user
                + " (1 problem above): the password is wrong, the user is unknown, or the passdb the backends "
                + "share has a problem. No backend differs from the others"), report.get("verdict").asText());
        assertEquals(1, report.get("findings").size(), report.get("findings").toString());
        assertTrue(report.at("/findings/0/backend").isNull(), report.get("findings").toString());
    }

    @Test
    @Order(3)
    void backendMissingUserNamed() throws Exception {
        int number = firstUserOn("be2");
        String user = Topology.user(number);
        Path shared = topology.state.resolve("dovecot/users.passwd");
        Path withoutUser = topology.state.resolve("dovecot/be2-without-user.passwd");
        List<String> lines = new ArrayList<>(Files.readAllLines(shared));
        assertTrue(lines.removeIf(line -> line.startsWith(user + ":")), "no line for " + user + " in " + shared);
        Files.write(withoutUser, lines);
        topology.usePasswdFile("be2", withoutUser);
        try {
            awaitImapRejection("127.0.0.12", user, Topology.password(number));

            Run run = doctor(user, Topology.password(number));
            System.out.println("DoctorIT: report with be2's passdb missing " + user + ":\n" + run.out());

            assertEquals(1, run.exitCode(), run.out() + run.err());
            assertTrue(run.out().contains("be2 rejects the imap login that be1 accepted; check be2's passdb and userdb "
                    + "for this user. be2 replied: NO [AUTHENTICATIONFAILED] Authentication failed.\n"), run.out());
            assertTrue(run.out().contains("not tried: IMAP login rejected"), run.out());
            assertTrue(run.out().contains("Verdict: be2 differs from the other backends (1 problem above). The ring "
                    + "sends " + user + " to be2, where the imap login failed (pop3 and sieve were not tried after "
                    + "the rejection), so those logins through Mailpin fail for this user."), run.out());
        } finally {
            topology.usePasswdFile("be2", shared);
        }
    }

    @Test
    @Order(4)
    void stoppedBackendNamed() throws Exception {
        topology.stopBackend("be2");

        Run run = doctor(Topology.user(1), Topology.password(1), "--json");

        JsonNode report = new ObjectMapper().readTree(run.out());
        assertEquals(1, run.exitCode(), run.err());
        assertEquals(List.of("imap unreachable", "pop3 unreachable", "sieve unreachable"),
                statuses(report.at("/backends/1")));
        assertEquals("connection refused", report.at("/backends/1/services/0/problem").asText());
        assertEquals("be2 imap on 127.0.0.12:143: unreachable: connection refused", report.at("/findings/0/text").asText());
        assertEquals(List.of("imap accepted", "pop3 accepted", "sieve accepted"), statuses(report.at("/backends/0")));
    }

    /** Runs {@code bin/mailpin doctor} with the topology's gateway config and the password on standard input. */
    private static Run doctor(String user, String password, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(Topology.REPO.resolve("bin/mailpin").toString(), "doctor",
                "--config", topology.state.resolve("gateway-it.yaml").toString(), "--user", user, "--password-stdin",
                "--timeout", BUDGET));
        command.addAll(List.of(extra));
        Path out = Files.createTempFile(jarFolder, "doctor-", ".out");
        Path err = Files.createTempFile(jarFolder, "doctor-", ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("MAILPIN_JAR", jar.toString());
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write((password + "\n").getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("mailpin doctor did not finish in " + RUN_LIMIT + "; output:\n"
                    + Files.readString(out) + Files.readString(err));
        }
        Run run = new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        assertFalse(run.out().contains(password), "the password is on standard output");
        assertFalse(run.err().contains(password), "the password is on standard error");
        return run;
    }

    private static List<String> statuses(JsonNode backend) {
        List<String> statuses = new ArrayList<>();
        for (JsonNode service : backend.get("services")) {
            statuses.add(service.get("service").asText() + " " + service.get("status").asText());
        }
        return statuses;
    }

    private static String ringChoice(String user) {
        return topology.gateway.director().ringChoice(user).orElseThrow().id();
    }

    private static int firstUserOn(String backendId) {
        for (int i = 1; i <= Topology.USERS; i++) {
            if (ringChoice(Topology.user(i)).equals(backendId)) {
                return i;
            }
        }
        throw new IllegalStateException("no demo user maps to " + backendId);
    }

    /**
     * Waits until a backend rejects a direct IMAP login, which shows that its auth process has
     * read the changed passdb. {@code doveadm reload} returns before that.
     */
    private static void awaitImapRejection(String address, String user, String password) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String reply = null;
        while (System.nanoTime() < deadline) {
            reply = imapLogin(address, user, password);
            if (reply.startsWith("a NO ")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(address + " did not reject the LOGIN of " + user + " within 20 s; last reply: "
                + reply);
    }

    private static String imapLogin(String address, String user, String password) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, 143), 5000);
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            in.readLine();
            out.write(("a LOGIN " + user + " " + password + "\r\nb LOGOUT\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("a ")) {
                    return line;
                }
            }
            return "(connection closed)";
        }
    }
}
