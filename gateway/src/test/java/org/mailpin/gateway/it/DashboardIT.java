package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.cli.CommandRun;
import org.mailpin.gateway.mail.imap.ImapTestClient;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Session debugging and the dashboard on two gateway nodes with real Dovecot and Roundcube:
 * node 1 runs in this JVM, node 2 is a process. A user's IMAP connections through both nodes
 * appear in one lookup, a webmail login's pin cookie leads to its web session, and headless
 * Chromium shows the dashboard of node 1. The screenshot goes to
 * gateway/target/screenshots/dashboard.png.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class DashboardIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path SCREENSHOTS = Topology.REPO.resolve("gateway/target/screenshots");
    // Normalized as the director stores it: the default domain is appended.
    private static final String SCRIPT_USER = "mallory<script>alert(1)@example.test";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ClusterNodes cluster;
    private Path tokenFile;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = ClusterNodes.start(2, Topology.USERS, "60m");
        tokenFile = cluster.topology.state.resolve("admin-token");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void lookupListsImapConnectionsOfBothNodes() throws Exception {
        String user = Topology.user(5);
        try (ImapTestClient laptop = loggedIn(1, user); ImapTestClient phone = loggedIn(2, user)) {
            JsonNode fromNode1 = admin(cluster.topology.adminUrl(), "/api/v1/users/" + user);
            JsonNode fromNode2 = admin(cluster.node(2).adminUrl(), "/api/v1/users/" + user);
            CommandRun lookup = CommandRun.execute("lookup", user, "--url", cluster.node(2).adminUrl(),
                    "--token-file", tokenFile.toString());

            for (JsonNode view : List.of(fromNode1, fromNode2)) {
                String backend = view.get("backend").asText();
                JsonNode connections = view.get("connections");
                assertEquals(2, connections.size(), view.toString());
                Set<String> nodes = new TreeSet<>();
                for (JsonNode connection : connections) {
                    nodes.add(connection.get("node").asText());
                    assertEquals("imap", connection.get("protocol").asText(), connection.toString());
                    assertEquals("127.0.0.1", connection.get("clientIp").asText(), connection.toString());
                    assertEquals(backend, connection.get("backend").asText(), connection.toString());
                    assertFalse(connection.get("id").asText().isEmpty(), connection.toString());
                }
                assertEquals(Set.of("it-node", "it-node2"), nodes, view.toString());
                assertEquals("[]", view.get("nodesMissing").toString(), view.toString());
                assertEquals("[\"it-node\",\"it-node2\"]", view.get("nodesQueried").toString());
            }
            assertEquals(0, lookup.exitCode(), lookup.err());
            assertTrue(lookup.out().contains("2 live mail connection(s), 2 of 2 node(s) replied"), lookup.out());
            assertTrue(lookup.out().lines().anyMatch(line -> line.contains("  it-node2  imap  ")), lookup.out());
        }
    }

    @Test
    void webSessionFoundByPinCookie() throws Exception {
        String user = Topology.user(7);
        WebmailClient browser = new WebmailClient(cluster.topology.baseUrl());
        HttpResponse<String> login = browser.login(user, Topology.password(7));
        assertEquals(302, login.statusCode(), "login of " + user + ": " + login.body());
        String pin = browser.cookies.getCookieStore().getCookies().stream()
                .filter(cookie -> cookie.getName().equals("mailpin_pin"))
                .map(HttpCookie::getValue).findFirst().orElseThrow(() -> new AssertionError("no mailpin_pin cookie"));

        JsonNode byCookie = admin(cluster.node(2).adminUrl(), "/api/v1/web-sessions/" + encode(pin));
        String id = byCookie.get("id").asText();
        JsonNode byId = admin(cluster.topology.adminUrl(), "/api/v1/web-sessions/" + id);
        HttpResponse<String> tampered = get(cluster.topology.adminUrl(),
                "/api/v1/web-sessions/" + encode(pin.substring(0, pin.length() - 3) + "xyz"), true);
        CommandRun session = CommandRun.execute("session", pin, "--url", cluster.topology.adminUrl(),
                "--token-file", tokenFile.toString());

        JsonNode webSession = byCookie.get("session");
        assertEquals(user, webSession.get("user").asText());
        assertEquals("127.0.0.1", webSession.get("clientIp").asText());
        assertEquals("it-node", webSession.get("node").asText());
        assertFalse(webSession.get("lastRequest").asText().isEmpty());
        assertTrue(byCookie.get("pin").get("matchesSession").asBoolean(), byCookie.toString());
        assertFalse(byCookie.get("pin").get("expired").asBoolean(), byCookie.toString());
        assertEquals(user, byCookie.get("lookup").get("user").asText());
        assertTrue(byCookie.get("lookup").get("assigned").asBoolean(), byCookie.toString());
        assertTrue(byCookie.get("lookup").get("webSessions").toString().contains(id), byCookie.toString());
        assertEquals(id, byId.get("session").get("id").asText());
        assertTrue(byId.get("pin").isNull(), byId.toString());
        assertEquals(400, tampered.statusCode(), tampered.body());
        assertEquals(0, session.exitCode(), session.err());
        assertTrue(session.out().contains("session:        " + id), session.out());
        assertTrue(session.out().contains("user:           " + user), session.out());
    }

    @Test
    void dashboardPageAndApiAuthentication() throws Exception {
        HttpResponse<String> page = get(cluster.topology.adminUrl(), "/dashboard", false);
        HttpResponse<String> status = get(cluster.topology.adminUrl(), "/api/v1/status", false);
        HttpResponse<String> events = get(cluster.topology.adminUrl(), "/api/v1/events?max=5", false);

        assertEquals(200, page.statusCode());
        String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.startsWith("default-src 'self';"), policy);
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
        assertEquals(401, status.statusCode());
        assertEquals(401, events.statusCode());
    }

    @Test
    void dashboardInChromium() throws Exception {
        String user = Topology.user(9);
        String adminUrl = cluster.topology.adminUrl();
        post(adminUrl, "/api/v1/users/" + encode(SCRIPT_USER) + "/kick");
        Path profile = Files.createTempDirectory("mailpin-chromium-");
        WebDriver driver = null;
        try (ImapTestClient phone = loggedIn(2, user)) {
            Map<String, Integer> usersByBackend = usersByBackend(adminUrl);
            driver = HeadlessChromium.start(profile);
            WebDriverWait wait = new WebDriverWait(driver, WAIT);

            driver.get(adminUrl + "/dashboard");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(cluster.topology.adminToken);
            driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            awaitText(driver, wait, By.cssSelector("#backends tbody tr[data-backend='be2'] td:nth-child(1)"), "be2");
            for (String backend : List.of("be1", "be2")) {
                String count = Integer.toString(usersByBackend.get(backend));
                awaitText(driver, wait, By.cssSelector("#users-chart g[data-backend='" + backend + "'] text.count"), count);
                awaitText(driver, wait, By.cssSelector("#users-chart g[data-backend='" + backend + "'] text.label"),
                        backend);
                awaitText(driver, wait, By.cssSelector("#backends tr[data-backend='" + backend + "'] td:nth-child(6)"),
                        count);
            }

            // Health checks run on some node of the test cluster, so the section shows both backends.
            awaitText(driver, wait, By.xpath("//div[@id='health-body']//tbody/tr[1]/td[1]"), "be1");
            awaitText(driver, wait, By.xpath("//div[@id='health-body']//tbody/tr[1]/td[2]"), "up");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("health-body"),
                    "Checks run on node: it-node"));
            new Select(driver.findElement(By.id("lookup-kind"))).selectByValue("user");
            driver.findElement(By.id("lookup-value")).sendKeys(user);
            driver.findElement(By.cssSelector("#lookup-form button[type=submit]")).click();
            WebElement connection = awaitElement(driver, wait, By.cssSelector("#lookup-connections tr[data-connection]"));
            List<String> cells = connection.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
            assertEquals("it-node2", cells.get(0), cells.toString());
            assertEquals("imap", cells.get(1), cells.toString());
            assertEquals("127.0.0.1", cells.get(3), cells.toString());
            assertTrue(driver.findElement(By.id("lookup-nodes")).getText().startsWith("2 of 2 node(s) replied"),
                    driver.findElement(By.id("lookup-nodes")).getText());
            // Tall enough that the screenshot shows the lookup's connection table below the backends.
            driver.manage().window().setSize(new Dimension(1280, 1700));
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve("dashboard.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));

            awaitText(driver, wait, By.xpath("//table[@id='events']//td[3][.=\"" + SCRIPT_USER + "\"]"), SCRIPT_USER);
            WebElement lookupValue = driver.findElement(By.id("lookup-value"));
            lookupValue.clear();
            lookupValue.sendKeys("mallory<script>alert(1)");
            driver.findElement(By.cssSelector("#lookup-form button[type=submit]")).click();
            awaitText(driver, wait, By.xpath("//dl[@id='lookup-summary']/dt[.='user']/following-sibling::dd[1]"),
                    SCRIPT_USER);
            assertEquals(1, driver.findElements(By.tagName("script")).size(), "a username became a script element");
            assertEquals("Mailpin dashboard", driver.getTitle());
        } finally {
            if (driver != null) {
                driver.quit();
            }
            HeadlessChromium.deleteProfile(profile);
        }
    }

    private static void awaitText(WebDriver driver, WebDriverWait wait, By locator, String expected) {
        try {
            wait.until(ExpectedConditions.textToBePresentInElementLocated(locator, expected));
        } catch (TimeoutException e) {
            List<WebElement> found = driver.findElements(locator);
            throw new AssertionError("no '" + expected + "' in " + locator + " within " + WAIT.toSeconds() + " s; found "
                    + found.stream().map(WebElement::getText).toList() + "; page text:\n" + pageText(driver), e);
        }
    }

    private static WebElement awaitElement(WebDriver driver, WebDriverWait wait, By locator) {
        try {
            return wait.until(ExpectedConditions.visibilityOfElementLocated(locator));
        } catch (TimeoutException e) {
            throw new AssertionError("no " + locator + " within " + WAIT.toSeconds() + " s; page text:\n"
                    + pageText(driver), e);
        }
    }

    private static String pageText(WebDriver driver) {
        String text = driver.findElement(By.tagName("body")).getText();
        return text.substring(0, Math.min(3000, text.length()));
    }

    private ImapTestClient loggedIn(int node, String user) throws IOException {
        ImapTestClient client = ImapTestClient.connect("127.0.0.1", cluster.imapPort(node));
        client.readLine();
        String login = client.command("a1", "LOGIN " + user + " " + Topology.password(Topology.index(user)));
        assertTrue(login.startsWith("a1 OK"), "login of " + user + " through node " + node + ": " + login);
        return client;
    }

    private Map<String, Integer> usersByBackend(String adminUrl) throws Exception {
        Map<String, Integer> users = new HashMap<>();
        for (JsonNode backend : admin(adminUrl, "/api/v1/status").get("backends")) {
            users.put(backend.get("id").asText(), backend.get("users").asInt());
        }
        return users;
    }

    private JsonNode admin(String adminUrl, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = get(adminUrl, path, true);
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> get(String adminUrl, String path, boolean withToken)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(adminUrl + path)).timeout(Duration.ofSeconds(10));
        if (withToken) {
            request.header("Authorization", "Bearer " + cluster.topology.adminToken);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void post(String adminUrl, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(adminUrl + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + cluster.topology.adminToken)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
