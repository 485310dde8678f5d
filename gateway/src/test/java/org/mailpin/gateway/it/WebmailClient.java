package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A browser without JavaScript: cookies, Roundcube's login form and its AJAX calls, over real HTTP. */
final class WebmailClient {

    private static final Pattern LOGIN_TOKEN = Pattern.compile("name=\"_token\" value=\"([^\"]+)\"");
    private static final Pattern REQUEST_TOKEN = Pattern.compile("\"request_token\":\"([^\"]+)\"");

    final String base;
    final String origin;
    final CookieManager cookies;
    final HttpClient http;

    WebmailClient(String base) {
        this(base, new CookieManager(null, CookiePolicy.ACCEPT_ALL));
    }

    private WebmailClient(String base, CookieManager cookies) {
        this.base = base;
        this.cookies = cookies;
        URI uri = URI.create(base);
        this.origin = uri.getScheme() + "://" + uri.getAuthority();
        this.http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * Returns a client for another gateway node that shares this browser's cookies. Cookies
     * ignore the port, so the pin cookie set by one node on 127.0.0.1 reaches the others.
     */
    WebmailClient sameBrowserAt(String otherBase) {
        return new WebmailClient(otherBase, cookies);
    }

    HttpResponse<String> get(String query, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + query)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Loads the login page and returns its CSRF token. */
    String loginPage() throws Exception {
        HttpResponse<String> page = get("?_task=login");
        Matcher m = LOGIN_TOKEN.matcher(page.body());
        assertNotNull(m.find() ? m.group(1) : null, "no _token in the login page (status " + page.statusCode() + ")");
        return m.group(1);
    }

    HttpResponse<String> postLogin(String token, String user, String password, String... headers) throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("_token", token);
        form.put("_task", "login");
        form.put("_action", "login");
        form.put("_timezone", "UTC");
        form.put("_url", "");
        form.put("_user", user);
        form.put("_pass", password);
        return post("?_task=login", form, headers);
    }

    HttpResponse<String> post(String query, Map<String, String> form, String... headers) throws Exception {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + query))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        boolean ownOrigin = false;
        for (int i = 0; i < headers.length; i += 2) {
            ownOrigin |= headers[i].equalsIgnoreCase("Origin");
        }
        if (!ownOrigin) {
            request.header("Origin", origin);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Logs in through the login page; returns the response to the login POST. */
    HttpResponse<String> login(String user, String password) throws Exception {
        return postLogin(loginPage(), user, password);
    }

    /** Opens the mail view and then asks for the INBOX message list like Roundcube's JavaScript does. */
    HttpResponse<String> inboxList() throws Exception {
        HttpResponse<String> page = get("?_task=mail&_mbox=INBOX");
        Matcher m = REQUEST_TOKEN.matcher(page.body());
        assertNotNull(m.find() ? m.group(1) : null, "no request_token in the mail view (status " + page.statusCode()
                + "): not logged in?\n" + page.body().substring(0, Math.min(500, page.body().length())));
        return get("?_task=mail&_action=list&_mbox=INBOX&_page=1&_remote=1",
                "X-Roundcube-Request", m.group(1), "X-Requested-With", "XMLHttpRequest");
    }
}
