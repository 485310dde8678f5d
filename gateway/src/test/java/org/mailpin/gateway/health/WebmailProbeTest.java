package org.mailpin.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.mail.ScriptedBackend;

import com.sun.net.httpserver.HttpServer;

/** The Roundcube login page check against a loopback HTTP server. */
@Timeout(30)
class WebmailProbeTest {

    // The fields of Roundcube 1.6's login form, shortened.
    private static final String LOGIN_PAGE = """
            <form id="login-form" name="login-form" method="post" action="./?_task=login">
            <input type="hidden" name="_task" value="login">
            <input name="_user" id="rcmloginuser" required size="40" type="text">
            <input name="_pass" id="rcmloginpwd" required size="40" type="password">
            </form>
            """;

    private final WebmailProbe probe = new WebmailProbe(Duration.ofSeconds(2));
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void loginPagePasses() throws Exception {
        URI url = serve(200, LOGIN_PAGE);

        probe.check("rc1", url);
    }

    @Test
    void pageWithoutFormFails() throws Exception {
        URI url = serve(200, "<html><body>It works!</body></html>");

        ProbeFailedException failure = assertThrows(ProbeFailedException.class, () -> probe.check("rc1", url));

        assertEquals("webmail rc1: GET " + url + " returned a page without Roundcube's login form", failure.getMessage());
    }

    @Test
    void serverErrorFails() throws Exception {
        URI url = serve(500, "Internal Server Error");

        ProbeFailedException failure = assertThrows(ProbeFailedException.class, () -> probe.check("rc2", url));

        assertEquals("webmail rc2: GET " + url + " returned 500, expected 200", failure.getMessage());
    }

    @Test
    void refusedConnectFails() throws Exception {
        URI url = URI.create("http://127.0.0.1:" + ScriptedBackend.closedPort() + "/");

        ProbeFailedException failure = assertThrows(ProbeFailedException.class, () -> probe.check("rc1", url));

        assertTrue(failure.getMessage().startsWith("webmail rc1: GET " + url + " failed: ConnectException"),
                failure.getMessage());
    }

    private URI serve(int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }
}
