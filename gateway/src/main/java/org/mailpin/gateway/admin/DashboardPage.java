package org.mailpin.gateway.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

/**
 * The dashboard's static files. They contain no data, so they are served without the admin
 * token: the page's script prompts for the token and sends it with every API call. The files are
 * read from the classpath once, when the admin server starts.
 */
final class DashboardPage implements HttpHandler {

    static final String PATH = "/dashboard";

    // Only this listener's own files and API: no inline script or style, no frames, and no form
    // submission, which keeps the token out of URLs even if the script fails to load.
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private record File(String contentType, ByteBuffer body) {
    }

    private final Map<String, File> files = Map.of(
            PATH, load("index.html", "text/html; charset=utf-8"),
            PATH + "/", load("index.html", "text/html; charset=utf-8"),
            PATH + "/dashboard.js", load("dashboard.js", "text/javascript; charset=utf-8"),
            PATH + "/dashboard.css", load("dashboard.css", "text/css; charset=utf-8"));

    /** True for every path under {@link #PATH}, which this handler serves without the token. */
    static boolean serves(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        setSecurityHeaders(exchange);
        HttpString method = exchange.getRequestMethod();
        if (!Methods.GET.equals(method) && !Methods.HEAD.equals(method)) {
            exchange.setStatusCode(405);
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            exchange.endExchange();
            return;
        }
        File file = files.get(exchange.getRequestPath());
        if (file == null) {
            exchange.setStatusCode(404);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
            exchange.getResponseSender().send("Not found: the dashboard is at " + PATH);
            return;
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, file.contentType());
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        exchange.getResponseSender().send(file.body().duplicate());
    }

    private static void setSecurityHeaders(HttpServerExchange exchange) {
        var headers = exchange.getResponseHeaders();
        headers.put(Headers.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
        headers.put(Headers.X_FRAME_OPTIONS, "DENY");
        headers.put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        headers.put(Headers.REFERRER_POLICY, "no-referrer");
    }

    private static File load(String name, String contentType) {
        try (InputStream in = DashboardPage.class.getResourceAsStream("dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file " + name + " is missing from the classpath; "
                        + "rebuild the gateway jar");
            }
            return new File(contentType, ByteBuffer.wrap(in.readAllBytes()).asReadOnlyBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("reading dashboard file " + name + " failed", e);
        }
    }
}
