package org.mailpin.gateway.mail;

import java.io.IOException;

/** A client sent a line or literal above the configured limit; the session answers and closes. */
public class LineTooLongException extends IOException {

    public LineTooLongException(long limit) {
        super("line longer than " + limit + " bytes");
    }
}
