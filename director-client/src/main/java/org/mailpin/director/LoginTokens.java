package org.mailpin.director;

import java.util.Optional;

/**
 * Which Roundcube instance issued the login page a browser holds, and the CSRF token on it, keyed
 * by the browser's Roundcube session cookie. Shared by all gateway nodes, because the browser may
 * post the login form through another node than the one that served the page.
 */
public interface LoginTokens {

    /** An issued login page: the instance id and its request token. */
    record Issued(String instance, String token) {
    }

    void record(String sessionCookie, Issued issued);

    Optional<Issued> find(String sessionCookie);
}
