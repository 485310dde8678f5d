package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.gateway.config.GatewayConfig.RoundcubeInstance;
import org.mailpin.gateway.config.GatewayConfig.WebSection;

/** Tests the Origin and Referer check that guards login POSTs. */
class GatewayHandlerTest {

    private static final WebSection WEB = new WebSection("127.0.0.1", 8080, "/mail/",
            List.of("mail.example.test", "localhost:8080", "[::1]:8080"), Path.of("/etc/mailpin/secret"), false,
            35L * 1024 * 1024, Duration.ofMinutes(30), "roundcube_sessid", Duration.ofSeconds(120),
            List.of(new RoundcubeInstance("rc1", URI.create("http://127.0.0.21:8081/"))));

    // isPublicOrigin reads only the web section, so the routing parts stay null.
    private final GatewayHandler handler = new GatewayHandler(WEB, null, null, null, null, null, null, null);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "http://localhost:8080, true",
            "https://mail.example.test, true",
            "https://MAIL.Example.TEST, true",
            "https://mail.example.test/mail/?_task=login, true",
            "http://[::1]:8080, true",
            "http://localhost:8081, false",
            "http://localhost, false",
            "https://mail.example.test:8443, false",
            "https://evil.example, false",
            "http://localhost:8080@evil.example/, false",
            "https://mail.example.test.evil.example, false",
            "ftp://localhost:8080, false",
            "null, false",
            "'', false",
            "not a url, false",
            "/mail/?_task=login, false",
    })
    void isPublicOrigin(String origin, boolean expected) {
        assertEquals(expected, handler.isPublicOrigin(origin));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "localhost:8080, true",
            "LOCALHOST:8080, true",
            "mail.example.test, true",
            "localhost, false",
            "127.0.0.1:8080, false",
    })
    void isPublicHost(String host, boolean expected) {
        assertEquals(expected, handler.isPublicHost(host));
    }
}
