package org.mailpin.gateway.mail.sasl;

/**
 * A client sent a SASL response or login the proxy cannot use: bad base64, bad UTF-8, a PLAIN
 * message without two NUL separators, an empty field, or CR, LF or NUL inside a field. The message
 * never contains the password, so it may be shown to the client and logged.
 */
public class MalformedCredentialsException extends Exception {

    public MalformedCredentialsException(String message) {
        super(message);
    }
}
