package org.mailpin.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The dashboard's static files, which need no token, the token on every API call, and the
 * events endpoint the dashboard reads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS)
class DashboardPageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TAG = Pattern.compile("<(script|link|img|iframe|style)\\b([^>]*)>",
            Pattern.CASE_INSENSITIVE);

    private AdminApiFixture fixture;

    @BeforeAll
    void start() throws Exception {
        fixture = new AdminApiFixture();
        fixture.listNodes("node-a");
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/dashboard", "/dashboard/", "/dashboard/dashboard.js", "/dashboard/dashboard.css"})
    void filesServedWithoutTokenAndWithPolicy(String path) throws Exception {
        HttpResponse<String> response = fixture.get(path, null);

        assertEquals(200, response.statusCode(), path);
        String policy = response.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.startsWith("default-src 'self';"), policy);
        assertTrue(policy.contains("script-src 'self';"), policy);
        assertTrue(policy.contains("frame-ancestors 'none'"), policy);
        assertEquals("DENY", response.headers().firstValue("X-Frame-Options").orElse(""));
        assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertFalse(response.body().isEmpty());
    }

    @Test
    void contentTypesMatchFiles() throws Exception {
        assertTrue(contentType("/dashboard").startsWith("text/html"));
        assertTrue(contentType("/dashboard/dashboard.js").startsWith("text/javascript"));
        assertTrue(contentType("/dashboard/dashboard.css").startsWith("text/css"));
    }

    // The policy forbids inline script and style, so the page must not need any.
    @Test
    void pageHasNoInlineScriptOrExternalSource() throws Exception {
        String page = fixture.get("/dashboard", null).body();

        Matcher tags = TAG.matcher(page);
        int scripts = 0;
        while (tags.find()) {
            String name = tags.group(1).toLowerCase();
            String attributes = tags.group(2);
            assertFalse(name.equals("style") || name.equals("iframe") || name.equals("img"), tags.group());
            if (name.equals("script")) {
                scripts++;
                assertTrue(attributes.contains("src=\"/dashboard/"), tags.group());
            } else {
                assertTrue(attributes.contains("href=\"/dashboard/"), tags.group());
            }
        }
        assertEquals(1, scripts);
        assertFalse(page.matches("(?s).*\\son[a-z]+=.*"), "inline event handler in the page");
        assertFalse(page.contains("style="), "inline style in the page");
        assertFalse(page.contains("http://") || page.contains("https://"), "absolute URL in the page");
    }

    @Test
    void scriptInsertsNoMarkup() throws Exception {
        String script = fixture.get("/dashboard/dashboard.js", null).body();

        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")) {
            assertFalse(script.contains(sink), "dashboard.js uses " + sink);
        }
    }

    @Test
    void unknownDashboardFileNotFound() throws Exception {
        assertEquals(404, fixture.get("/dashboard/secrets.json", null).statusCode());
    }

    @Test
    void postToDashboardRejected() throws Exception {
        HttpResponse<String> response = fixture.send("POST", "/dashboard", null);

        assertEquals(405, response.statusCode());
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElse(""));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/api/v1/status", "/api/v1/events", "/api/v1/users/alice", "/api/v1/web-sessions/abc",
            "/api/v1/cluster", "/dashboardx"})
    void apiWithoutTokenUnauthorized(String path) throws Exception {
        HttpResponse<String> missing = fixture.get(path, null);
        HttpResponse<String> wrong = fixture.get(path, "not-the-token");

        assertEquals(401, missing.statusCode(), path);
        assertEquals("Bearer realm=\"mailpin\"", missing.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals("", missing.body());
        assertEquals(401, wrong.statusCode(), path);
    }

    @Test
    void eventsNewestFirstUpToMax() throws Exception {
        fixture.director.move("ivan@example.test", "be1");
        fixture.director.kick("judy<script>@example.test", null);

        JsonNode events = json(fixture.get("/api/v1/events?max=2")).get("events");

        assertEquals(2, events.size(), events.toString());
        assertEquals("kick", events.get(0).get("type").asText());
        assertEquals("judy<script>@example.test", events.get(0).get("subject").asText());
        assertEquals("node-a", events.get(0).get("node").asText());
        assertEquals("move", events.get(1).get("type").asText());
        assertEquals("ivan@example.test", events.get(1).get("subject").asText());
        assertTrue(events.get(1).get("time").asText().endsWith("Z"), events.toString());
    }

    @ParameterizedTest(name = "max={0}")
    @ValueSource(strings = {"0", "1001", "ten", "-3"})
    void eventsInvalidMaxRejected(String max) throws Exception {
        HttpResponse<String> response = fixture.get("/api/v1/events?max=" + max);

        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("expected an integer from 1 to 1000"), response.body());
    }

    @Test
    void jsonResponsesNotSniffed() throws Exception {
        HttpResponse<String> response = fixture.get("/api/v1/status");

        assertEquals(200, response.statusCode());
        assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(""));
    }

    private String contentType(String path) throws Exception {
        return fixture.get(path, null).headers().firstValue("Content-Type").orElse("");
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
