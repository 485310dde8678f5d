package org.mailpin.gateway.metrics;

/** The final outcome of one LMTP recipient, as the {@code result} label of {@code mailpin_lmtp_deliveries_total}. */
enum LmtpResult {
    /** A 2xx reply after the message: the backend stored it. */
    DELIVERED("delivered"),
    /** A 4xx reply, from the backend or from the proxy (backend down, no backend, lookup failed): the MTA retries. */
    DEFERRED("deferred"),
    /** A 5xx reply, e.g. unknown user or over quota: the MTA bounces the message. */
    REJECTED("rejected"),
    /** The transaction ended (RSET, a lost connection) before the recipient got a reply after the message. */
    UNFINISHED("unfinished");

    private final String label;

    LmtpResult(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
