package org.mailpin.gateway.mail.sieve;

import java.io.IOException;

/** A ManageSieve command the proxy cannot parse; the session replies NO and reads the next command. */
class SieveSyntaxException extends IOException {

    SieveSyntaxException(String message) {
        super(message);
    }
}
