package org.mailpin.gateway.health;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

import org.mailpin.gateway.config.Units;

/**
 * Fetches the login page of the Roundcube instance next to a backend and checks that it is one:
 * status 200 and a form with Roundcube's {@code _user} and {@code _pass} fields.
 *
 * <p>NOTE: Roundcube opens a session for every login page it serves, so each probe leaves one
 * anonymous session row that Roundcube's own garbage collection removes later.
 */
public final class WebmailProbe {

    private final Duration timeout;
    private final HttpClient http;

    public WebmailProbe(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Fetches the page.
     *
     * @param instance the Roundcube instance id, which starts the failure reason
     * @throws ProbeFailedException e.g. {@code webmail rc2: GET http://127.0.0.22:8082/ returned 502, expected 200}
     */
    public void check(String instance, URI url) throws ProbeFailedException {
        String label = "webmail " + instance + ": GET " + url;
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new ProbeFailedException(label + " timed out after " + Units.format(timeout));
        } catch (IOException e) {
            throw new ProbeFailedException(label + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProbeFailedException(label + " interrupted");
        }
        if (response.statusCode() != 200) {
            throw new ProbeFailedException(label + " returned " + response.statusCode() + ", expected 200");
        }
        if (!isLoginForm(response.body())) {
            throw new ProbeFailedException(label + " returned a page without Roundcube's login form");
        }
    }

    static boolean isLoginForm(String html) {
        return html.contains("name=\"_user\"") && html.contains("name=\"_pass\"");
    }
}
