package org.mailpin.gateway.metrics;

/** The direction of relayed bytes, as the {@code direction} label of {@code mailpin_proxy_bytes_total}. */
public enum Direction {
    CLIENT_TO_BACKEND("client_to_backend"),
    BACKEND_TO_CLIENT("backend_to_client");

    private final String label;

    Direction(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
