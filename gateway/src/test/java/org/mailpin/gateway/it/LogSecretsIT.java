package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.HttpCookie;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;
import org.mailpin.gateway.mail.LineClient;

/**
 * A full gateway run with Mailpin's and Undertow's loggers at DEBUG: logins with known passwords
 * over IMAP, POP3, ManageSieve, Submission and webmail, in every form the proxies accept and with
 * wrong passwords, plus admin calls. Then the gateway stops. Its whole log output, every logger
 * and the console, must not contain any password or base64 SASL response, whether as the client
 * sent it or as the proxy encodes it for the backend. Nor may it contain the admin token, the web
 * secret or the browser's session cookies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LogSecretsIT {

    // The demo backends relay submitted mail here (submission_relay_host and _port in start.sh).
    private static final InetSocketAddress RELAY = new InetSocketAddress("127.0.0.25", 2525);
    private static final String DOMAIN = "@example.test";
    // Cookies that let their holder act as the logged-in user.
    private static final List<String> SESSION_COOKIES = List.of("roundcube_sessid", "roundcube_sessauth", "mailpin_pin");

    // Each secret with a description for the failure message, in the order the test sent them.
    private final Map<String, String> secrets = new LinkedHashMap<>();
    private AllLogsCapture logs;
    private SubmissionProxyIT.SmtpSink sink;
    private Topology topology;
    private int imapPort;
    private int pop3Port;
    private int sievePort;
    private int submissionPort;

    @BeforeAll
    void start() throws Exception {
        logs = new AllLogsCapture(List.of("org.mailpin", "org.mailpin.gateway.http.client",
                "org.mailpin.gateway.mail.lmtp.client", "io.undertow"));
        sink = new SubmissionProxyIT.SmtpSink(RELAY);
        imapPort = Topology.freePort();
        pop3Port = Topology.freePort();
        sievePort = Topology.freePort();
        submissionPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                    - protocol: pop3
                      listen: 127.0.0.1:%d
                    - protocol: sieve
                      listen: 127.0.0.1:%d
                    - protocol: submission
                      listen: 127.0.0.1:%d
                """.formatted(imapPort, pop3Port, sievePort, submissionPort));
        secrets.put(topology.adminToken, "the admin token");
        secrets.put(Files.readString(topology.state.resolve("secret")).strip(), "the web secret");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (topology != null) {
                topology.close();
            }
        } finally {
            if (sink != null) {
                sink.close();
            }
            if (logs != null) {
                logs.close();
            }
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Records a password and the PLAIN response that the proxy encodes for the backend from it. */
    private String password(String password, int user) {
        secrets.put(password, "password of " + Topology.user(user));
        secrets.put(base64("\0" + Topology.user(user) + "\0" + password),
                "PLAIN response for the backend with the password of " + Topology.user(user));
        return password;
    }

    /** Returns a base64 SASL response and records it. */
    private String sasl(String text, String description) {
        String encoded = base64(text);
        secrets.put(encoded, description);
        return encoded;
    }

    private static String wrong(String protocol) {
        return "Wrong-" + protocol + "-" + Long.toString(System.nanoTime(), 36);
    }

    private static String bare(int user) {
        return Topology.user(user).replace(DOMAIN, "");
    }

    @Test
    @Order(1)
    void imapLogins() throws Exception {
        List<Executable> checks = new ArrayList<>();
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("a1 LOGIN " + bare(1) + " " + password(Topology.password(1), 1));
            String login = client.readThrough("a1 ").getLast();
            client.writeLine("a2 LOGOUT");
            client.readThrough("a2 ");
            checks.add(() -> assertTrue(login.startsWith("a1 OK"), "LOGIN: " + login));
        }
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("b1 LOGIN " + bare(2) + " " + password(wrong("imap"), 2));
            String wrongLogin = client.readThrough("b1 ").getLast();
            String badInitial = sasl("\0" + bare(2) + "\0" + password(wrong("imap-ir"), 2), "IMAP SASL-IR, wrong");
            client.writeLine("b2 AUTHENTICATE PLAIN " + badInitial);
            String wrongSasl = client.readThrough("b2 ").getLast();
            String initial = sasl("\0" + Topology.user(2) + "\0" + password(Topology.password(2), 2), "IMAP SASL-IR");
            client.writeLine("b3 AUTHENTICATE PLAIN " + initial);
            String saslLogin = client.readThrough("b3 ").getLast();
            checks.add(() -> assertTrue(wrongLogin.startsWith("b1 NO"), "wrong LOGIN: " + wrongLogin));
            checks.add(() -> assertTrue(wrongSasl.startsWith("b2 NO"), "wrong SASL-IR: " + wrongSasl));
            checks.add(() -> assertTrue(saslLogin.startsWith("b3 OK"), "SASL-IR: " + saslLogin));
        }
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("c1 AUTHENTICATE PLAIN");
            String continuation = client.readLine();
            client.writeLine(sasl("\0" + bare(3) + "\0" + password(Topology.password(3), 3), "IMAP continuation"));
            String login = client.readThrough("c1 ").getLast();
            checks.add(() -> assertEquals("+ ", continuation));
            checks.add(() -> assertTrue(login.startsWith("c1 OK"), "AUTHENTICATE continuation: " + login));
        }
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            String secret = password(Topology.password(4), 4);
            client.writeLine("d1 LOGIN " + bare(4) + " {" + secret.length() + "}");
            String ready = client.readLine();
            client.writeLine(secret);
            String login = client.readThrough("d1 ").getLast();
            checks.add(() -> assertTrue(ready.startsWith("+"), "literal: " + ready));
            checks.add(() -> assertTrue(login.startsWith("d1 OK"), "LOGIN with a literal: " + login));
        }
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("e1 LOGIN " + bare(5) + " \"" + password(wrong("imap-quote"), 5));
            String unterminated = client.readThrough("e1 ").getLast();
            client.writeLine("e2 AUTHENTICATE PLAIN " + sasl(Topology.user(5) + "\0" + password(wrong("imap-nul"), 5),
                    "IMAP PLAIN with one NUL"));
            String malformed = client.readThrough("e2 ").getLast();
            checks.add(() -> assertTrue(unterminated.startsWith("e1 BAD"), "unterminated quote: " + unterminated));
            checks.add(() -> assertTrue(malformed.startsWith("e2 BAD"), "malformed PLAIN: " + malformed));
        }
        assertAll(checks);
    }

    @Test
    @Order(2)
    void pop3Logins() throws Exception {
        List<Executable> checks = new ArrayList<>();
        try (LineClient client = LineClient.connect(pop3Port, null)) {
            client.readLine();
            client.writeLine("USER " + bare(6));
            client.writeLine("PASS " + password(Topology.password(6), 6));
            List<String> login = client.readLines(2);
            client.writeLine("QUIT");
            client.readLine();
            checks.add(() -> assertEquals("+OK Logged in.", login.get(1)));
        }
        try (LineClient client = LineClient.connect(pop3Port, null)) {
            client.readLine();
            client.writeLine("PASS " + password(wrong("pop3-alone"), 6));
            String passAlone = client.readLine();
            client.writeLine("USER " + bare(7));
            client.writeLine("PASS " + password(wrong("pop3"), 7));
            List<String> wrongLogin = client.readLines(2);
            client.writeLine("AUTH PLAIN");
            String continuation = client.readLine();
            client.writeLine(sasl("\0" + bare(7) + "\0" + password(wrong("pop3-sasl"), 7), "POP3 continuation, wrong"));
            String wrongSasl = client.readLine();
            client.writeLine("AUTH PLAIN " + sasl("\0" + bare(7) + "\0" + password(Topology.password(7), 7),
                    "POP3 AUTH PLAIN"));
            String saslLogin = client.readLine();
            checks.add(() -> assertTrue(passAlone.startsWith("-ERR"), "PASS without USER: " + passAlone));
            checks.add(() -> assertTrue(wrongLogin.get(1).startsWith("-ERR"), "wrong PASS: " + wrongLogin));
            checks.add(() -> assertEquals("+ ", continuation));
            checks.add(() -> assertTrue(wrongSasl.startsWith("-ERR"), "wrong AUTH PLAIN: " + wrongSasl));
            checks.add(() -> assertEquals("+OK Logged in.", saslLogin));
        }
        assertAll(checks);
    }

    @Test
    @Order(3)
    void sieveLogins() throws Exception {
        List<Executable> checks = new ArrayList<>();
        try (LineClient client = LineClient.connect(sievePort, null)) {
            client.readThrough("OK");
            String initial = sasl("\0" + bare(8) + "\0" + password(Topology.password(8), 8), "ManageSieve quoted");
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + initial + "\"");
            String login = client.readLine();
            client.writeLine("LOGOUT");
            client.readLine();
            checks.add(() -> assertEquals("OK \"Logged in.\"", login));
        }
        try (LineClient client = LineClient.connect(sievePort, null)) {
            client.readThrough("OK");
            String wrongResponse = sasl("\0" + bare(9) + "\0" + password(wrong("sieve"), 9), "ManageSieve literal, wrong");
            client.write("AUTHENTICATE \"PLAIN\" {" + wrongResponse.length() + "+}\r\n" + wrongResponse + "\r\n");
            String wrongLogin = client.readLine();
            client.writeLine("AUTHENTICATE \"PLAIN\"");
            String challenge = client.readLine();
            client.writeLine("\"" + sasl("\0" + bare(9) + "\0" + password(Topology.password(9), 9),
                    "ManageSieve continuation") + "\"");
            String login = client.readLine();
            checks.add(() -> assertTrue(wrongLogin.startsWith("NO"), "wrong literal login: " + wrongLogin));
            checks.add(() -> assertEquals("\"\"", challenge));
            checks.add(() -> assertEquals("OK \"Logged in.\"", login));
        }
        assertAll(checks);
    }

    @Test
    @Order(4)
    void submissionLogins() throws Exception {
        List<Executable> checks = new ArrayList<>();
        try (LineClient client = LineClient.connect(submissionPort, null)) {
            client.readLine();
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.writeLine("AUTH PLAIN " + sasl("\0" + bare(10) + "\0" + password(Topology.password(10), 10),
                    "Submission AUTH PLAIN"));
            String login = client.readLine();
            client.writeLine("QUIT");
            client.readLine();
            checks.add(() -> assertTrue(login.startsWith("235 "), "AUTH PLAIN: " + login));
        }
        try (LineClient client = LineClient.connect(submissionPort, null)) {
            client.readLine();
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.writeLine("AUTH PLAIN " + sasl("\0" + bare(11) + "\0" + password(wrong("submission"), 11),
                    "Submission AUTH PLAIN, wrong"));
            String wrongPlain = client.readLine();
            client.writeLine("AUTH LOGIN " + base64(bare(11)));
            String passwordPrompt = client.readLine();
            client.writeLine(sasl(password(Topology.password(11), 11), "Submission AUTH LOGIN password"));
            String login = client.readLine();
            checks.add(() -> assertTrue(wrongPlain.startsWith("535 "), "wrong AUTH PLAIN: " + wrongPlain));
            checks.add(() -> assertEquals("334 UGFzc3dvcmQ6", passwordPrompt));
            checks.add(() -> assertTrue(login.startsWith("235 "), "AUTH LOGIN: " + login));
        }
        try (LineClient client = LineClient.connect(submissionPort, null)) {
            client.readLine();
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.writeLine("AUTH LOGIN");
            client.readLine();
            client.writeLine(base64(bare(12)));
            client.readLine();
            client.writeLine(sasl(password(wrong("submission-login"), 12), "Submission AUTH LOGIN password, wrong"));
            String wrongLogin = client.readLine();
            client.writeLine("AUTH PLAIN");
            String continuation = client.readLine();
            client.writeLine(sasl("\0" + bare(12) + "\0" + password(Topology.password(12), 12),
                    "Submission AUTH PLAIN continuation"));
            String login = client.readLine();
            checks.add(() -> assertTrue(wrongLogin.startsWith("535 "), "wrong AUTH LOGIN: " + wrongLogin));
            checks.add(() -> assertEquals("334 ", continuation));
            checks.add(() -> assertTrue(login.startsWith("235 "), "AUTH PLAIN continuation: " + login));
        }
        assertAll(checks);
    }

    @Test
    @Order(5)
    void webLogins() throws Exception {
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        HttpResponse<String> login = browser.login(Topology.user(13), password(Topology.password(13), 13));
        browser.inboxList();
        for (HttpCookie cookie : browser.cookies.getCookieStore().getCookies()) {
            // A deleted cookie has a placeholder such as "-del-" for its value, which is no secret.
            if (SESSION_COOKIES.contains(cookie.getName()) && cookie.getValue().length() >= 16) {
                secrets.put(cookie.getValue(), "the browser's cookie " + cookie.getName());
            }
        }
        WebmailClient other = new WebmailClient(topology.baseUrl());
        HttpResponse<String> wrongLogin = other.postLogin(other.loginPage(), Topology.user(14),
                password(wrong("web"), 14));

        assertEquals(302, login.statusCode(), "webmail login");
        assertEquals(401, wrongLogin.statusCode(), "webmail login with a wrong password");
    }

    @Test
    @Order(6)
    void adminCalls() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/api/v1/backends", "/api/v1/sessions", "/metrics")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(topology.adminUrl() + path))
                    .header("Authorization", "Bearer " + topology.adminToken).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), path);
        }
    }

    @Test
    @Order(7)
    void logsContainNoSecret() throws Exception {
        topology.close();
        topology = null;
        String text = logs.text();
        // Kept for reading after a failure; it holds only the demo topology's throwaway secrets.
        Files.writeString(Path.of("target", "log-secrets-it.log"), text);

        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertTrue(text.contains("DEBUG [") && text.contains("org.mailpin"), "no DEBUG line of Mailpin"));
        for (String line : List.of("imap login user=" + Topology.user(1), "pop3 login of " + Topology.user(6),
                "sieve login of " + Topology.user(8), "submission login of " + Topology.user(10),
                "webmail login ok user=" + Topology.user(13), "webmail login failed user=" + Topology.user(14))) {
            checks.add(() -> assertTrue(text.contains(line), "the log lacks '" + line + "', so the run is incomplete"));
        }
        for (Map.Entry<String, String> secret : secrets.entrySet()) {
            checks.add(() -> assertEquals("", firstLineWith(text, secret.getKey()),
                    "the log contains " + secret.getValue() + " (" + secret.getKey() + ")"));
        }
        assertAll(checks);
    }

    private static String firstLineWith(String text, String secret) {
        return text.lines().filter(line -> line.contains(secret)).findFirst().orElse("");
    }

}
