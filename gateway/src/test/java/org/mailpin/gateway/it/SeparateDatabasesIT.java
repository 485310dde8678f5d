package org.mailpin.gateway.it;

/** Each Roundcube has its own database, so a login page's CSRF token is valid only on its issuer. */
class SeparateDatabasesIT extends WebmailGatewayIT {

    @Override
    String shape() {
        return "separate";
    }

    @Override
    boolean handsOverLogins() {
        return true;
    }
}
