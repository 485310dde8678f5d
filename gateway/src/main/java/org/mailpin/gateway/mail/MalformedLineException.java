package org.mailpin.gateway.mail;

import java.io.IOException;

/** A client sent a line the proxy will not interpret, such as one with a bare CR or LF. */
public class MalformedLineException extends IOException {

    public MalformedLineException(String message) {
        super(message);
    }
}
