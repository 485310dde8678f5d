package org.mailpin.gateway.admin;

/** A request the admin API cannot act on as sent; answered with 400 and the message. */
final class BadRequestException extends IllegalArgumentException {

    BadRequestException(String message) {
        super(message);
    }
}
