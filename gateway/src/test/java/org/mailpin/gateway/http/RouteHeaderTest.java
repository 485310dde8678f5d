package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Checks the X-Mailpin-Route value against docs/gateway-plugin-protocol.md, and against the
 * Roundcube plugin's own PHP verifier, so that a change on either side that breaks the other fails here.
 */
class RouteHeaderTest {

    private static final String SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    private static final Hmac HMAC = new Hmac(SECRET.getBytes(StandardCharsets.US_ASCII));
    private static final Instant NOW = Instant.ofEpochSecond(1_765_000_000L);
    private static final Backend BE1 = new Backend("be1", "127.0.0.11", 100, "",
            new BackendPorts(143, 110, 24, 4190, 587), "rc1", true);
    private static final Path PHP = Path.of("/usr/bin/php");
    private static final int PLUGIN_MAX_AGE = 30;
    private static final long PHP_TIMEOUT_SECONDS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RouteHeader route = new RouteHeader(HMAC);

    @TempDir
    Path folder;

    @Test
    void payloadHasDocumentedFields() throws IOException {
        JsonNode payload = payload(route.value("user01@example.test", BE1, false, NOW));

        List<String> names = new ArrayList<>();
        payload.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("v", "user", "backend", "host", "imap", "smtp", "sieve", "ts"), names);
    }

    @Test
    void payloadValues() throws IOException {
        JsonNode payload = payload(route.value("user01@example.test", BE1, false, NOW));

        assertEquals("user01@example.test", payload.get("user").textValue());
        assertEquals("be1", payload.get("backend").textValue());
        assertEquals("127.0.0.11", payload.get("host").textValue());
        assertEquals(143, payload.get("imap").intValue());
        assertEquals(587, payload.get("smtp").intValue());
        assertEquals(4190, payload.get("sieve").intValue());
        assertEquals(1_765_000_000L, payload.get("ts").longValue());
    }

    @Test
    void numbersAreJsonIntegers() throws IOException {
        JsonNode payload = payload(route.value("user01@example.test", BE1, false, NOW));

        for (String name : List.of("v", "imap", "smtp", "sieve", "ts")) {
            assertTrue(payload.get(name).isIntegralNumber(), name + " is " + payload.get(name).getNodeType());
        }
        assertEquals(1, payload.get("v").intValue());
    }

    @Test
    void loginFieldOnlyWhenVerified() throws IOException {
        JsonNode plain = payload(route.value("user01@example.test", BE1, false, NOW));
        JsonNode verified = payload(route.value("user01@example.test", BE1, true, NOW));

        assertFalse(plain.has("login"));
        assertEquals("gateway-verified", verified.get("login").textValue());
    }

    @Test
    void smtpIsSubmissionPort() throws IOException {
        Backend backend = new Backend("be3", "127.0.0.13", 100, "", new BackendPorts(10143, 0, 24, 0, 10587), null, true);

        JsonNode payload = payload(route.value("user01@example.test", backend, false, NOW));

        assertEquals(10143, payload.get("imap").intValue());
        assertEquals(10587, payload.get("smtp").intValue());
        assertEquals(0, payload.get("sieve").intValue());
    }

    @Test
    void ipv6HostWithoutBrackets() throws IOException {
        Backend backend = new Backend("be6", "[2001:DB8::11]", 100, "", BackendPorts.DEFAULTS, null, true);

        JsonNode payload = payload(route.value("user01@example.test", backend, false, NOW));

        assertEquals("2001:db8::11", payload.get("host").textValue());
    }

    @Test
    void signatureCoversPayload() {
        String value = route.value("user01@example.test", BE1, false, NOW);
        String[] parts = value.split("\\.", -1);

        assertEquals(2, parts.length, value);
        assertTrue(parts[0].matches("[A-Za-z0-9_-]+"), parts[0]);
        assertTrue(HMAC.verify(parts[0], parts[1]));
    }

    @Test
    void pluginAcceptsHeader() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);

        PluginResult result = verifyWithPlugin(value, SECRET, NOW);

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("user01@example.test", result.output().get("user").textValue());
        assertEquals("be1", result.output().get("backend").textValue());
        assertEquals("127.0.0.11", result.output().get("host").textValue());
        assertEquals(143, result.output().get("imap").intValue());
        assertEquals(587, result.output().get("smtp").intValue());
        assertEquals(4190, result.output().get("sieve").intValue());
        assertEquals(NOW.getEpochSecond(), result.output().get("ts").longValue());
        assertFalse(result.output().get("gateway_verified").booleanValue());
    }

    @Test
    void pluginAcceptsVerifiedLogin() throws Exception {
        String value = route.value("user01@example.test", BE1, true, NOW);

        PluginResult result = verifyWithPlugin(value, SECRET, NOW);

        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.output().get("gateway_verified").booleanValue());
    }

    @Test
    void pluginAcceptsNonAsciiUserOnIpv6() throws Exception {
        Backend backend = new Backend("be6", "2001:db8::11", 100, "", BackendPorts.DEFAULTS, null, true);
        String value = route.value("jürgen@例え.test", backend, false, NOW);

        PluginResult result = verifyWithPlugin(value, SECRET, NOW);

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("jürgen@例え.test", result.output().get("user").textValue());
        assertEquals("2001:db8::11", result.output().get("host").textValue());
    }

    @Test
    void pluginAcceptsClockSkewWithinMaxAge() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);

        PluginResult result = verifyWithPlugin(value, SECRET, NOW.plusSeconds(PLUGIN_MAX_AGE));

        assertEquals(0, result.exitCode(), result.toString());
    }

    @Test
    void pluginRejectsTamperedPayload() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);
        String tampered = replaceCharAt(value, 10);

        PluginResult result = verifyWithPlugin(tampered, SECRET, NOW);

        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.error().startsWith("signature does not match the payload"), result.toString());
    }

    @Test
    void pluginRejectsTamperedSignature() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);
        String tampered = replaceCharAt(value, value.length() - 5);

        PluginResult result = verifyWithPlugin(tampered, SECRET, NOW);

        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.error().startsWith("signature does not match the payload"), result.toString());
    }

    @Test
    void pluginRejectsOtherSecret() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);

        PluginResult result = verifyWithPlugin(value, "another-secret-0123456789abcdefghijklmnopqrstuv", NOW);

        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.error().startsWith("signature does not match the payload"), result.toString());
    }

    @Test
    void pluginRejectsExpiredHeader() throws Exception {
        String value = route.value("user01@example.test", BE1, false, NOW);

        PluginResult result = verifyWithPlugin(value, SECRET, NOW.plusSeconds(PLUGIN_MAX_AGE + 1));

        assertEquals(1, result.exitCode(), result.toString());
        assertTrue(result.error().startsWith("header expired"), result.toString());
    }

    /** What the plugin's verifier printed and its exit status. */
    private record PluginResult(int exitCode, JsonNode output, String stderr) {
        String error() {
            JsonNode error = output.get("error");
            return error == null ? "" : error.textValue();
        }
    }

    private PluginResult verifyWithPlugin(String header, String secret, Instant now)
            throws IOException, InterruptedException, URISyntaxException {
        assumeTrue(Files.isExecutable(PHP), PHP + " is not installed, so the PHP side of the contract is not checked");
        Path script = Path.of(RouteHeaderTest.class.getResource("/php/verify-route.php").toURI());
        Path stdout = folder.resolve("php.out");
        Path stderr = folder.resolve("php.err");

        ProcessBuilder builder = new ProcessBuilder(PHP.toString(), script.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        // The secret goes through the environment, so it is not on the command line that ps shows.
        builder.environment().put("MAILPIN_PLUGIN_LIB", pluginLib().toString());
        builder.environment().put("MAILPIN_ROUTE", header);
        builder.environment().put("MAILPIN_SECRET", secret);
        builder.environment().put("MAILPIN_NOW", Long.toString(now.getEpochSecond()));
        builder.environment().put("MAILPIN_MAX_AGE", Integer.toString(PLUGIN_MAX_AGE));

        Process process = builder.start();
        if (!process.waitFor(PHP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("php did not finish within " + PHP_TIMEOUT_SECONDS + " s");
        }
        String errors = Files.readString(stderr);
        String output = Files.readString(stdout);
        if (process.exitValue() > 1) {
            fail("php exited with " + process.exitValue() + ": " + errors + output);
        }
        return new PluginResult(process.exitValue(), JSON.readTree(output), errors);
    }

    /** Finds webmail-plugin/mailpin/lib in the working folder or one of its parents. */
    private static Path pluginLib() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path lib = dir.resolve("webmail-plugin/mailpin/lib");
            if (Files.isRegularFile(lib.resolve("mailpin_route.php"))) {
                return lib;
            }
        }
        return fail("webmail-plugin/mailpin/lib not found above " + Path.of("").toAbsolutePath());
    }

    private static JsonNode payload(String value) throws IOException {
        String encoded = value.substring(0, value.indexOf('.'));
        return JSON.readTree(Base64.getUrlDecoder().decode(encoded));
    }

    /** Returns the text with the character at the index changed to another base64url character. */
    private static String replaceCharAt(String text, int index) {
        char replacement = text.charAt(index) == 'A' ? 'B' : 'A';
        return text.substring(0, index) + replacement + text.substring(index + 1);
    }
}
