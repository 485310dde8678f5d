package org.mailpin.gateway.mail.sasl;

import java.util.Objects;

/**
 * A client's login: from SASL PLAIN (RFC 4616), SASL LOGIN, or a plaintext command such as POP3
 * USER/PASS. {@link #toString()} never shows the password.
 *
 * @param authorizationId  the user to act as, or "" when the client sent none
 * @param authenticationId the login name that the password belongs to
 * @param password         the password; never logged
 */
public record Credentials(String authorizationId, String authenticationId, String password) {

    public Credentials {
        Objects.requireNonNull(authorizationId, "authorizationId");
        Objects.requireNonNull(authenticationId, "authenticationId");
        Objects.requireNonNull(password, "password");
    }

    /** Returns credentials without an authorization identity. */
    public static Credentials of(String user, String password) {
        return new Credentials("", user, password);
    }

    /** Returns the user whose mail the client opens: the authorization identity when given, else the login name. */
    public String user() {
        return authorizationId.isEmpty() ? authenticationId : authorizationId;
    }

    /**
     * Checks what a backend command line could not carry safely.
     *
     * @throws MalformedCredentialsException when the login name or password is empty, or a field
     *                                       contains CR, LF or NUL; the message shows no password
     */
    public Credentials validate() throws MalformedCredentialsException {
        if (authenticationId.isEmpty()) {
            throw new MalformedCredentialsException("missing login name");
        }
        if (password.isEmpty()) {
            throw new MalformedCredentialsException("missing password");
        }
        if (hasLineBreakOrNul(authorizationId) || hasLineBreakOrNul(authenticationId)) {
            throw new MalformedCredentialsException("CR, LF and NUL are not allowed in a user name");
        }
        if (hasLineBreakOrNul(password)) {
            throw new MalformedCredentialsException("CR, LF and NUL are not allowed in a password");
        }
        return this;
    }

    private static boolean hasLineBreakOrNul(String text) {
        return text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\0') >= 0;
    }

    @Override
    public String toString() {
        return "Credentials[authorizationId=" + authorizationId + ", authenticationId=" + authenticationId
                + ", password hidden]";
    }
}
