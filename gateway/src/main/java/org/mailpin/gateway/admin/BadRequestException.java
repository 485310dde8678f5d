package org.mailpin.gateway.admin;

/** A request the admin API cannot act on as sent; the response is 400 with the message. */
final class BadRequestException extends IllegalArgumentException {

    BadRequestException(String message) {
        super(message);
    }
}
