package org.mailpin.gateway.it;

/** Both Roundcube instances share one database and session store: Roundcube's multi-node setup. */
class SharedDatabaseIT extends WebmailGatewayIT {

    @Override
    String shape() {
        return "shared";
    }

    @Override
    boolean handsOverLogins() {
        return false;
    }
}
