package org.mailpin.director;

/** An administrative request names a backend id that the cluster does not have. */
public final class UnknownBackendException extends IllegalArgumentException {

    public UnknownBackendException(String id, java.util.Collection<Backend> known) {
        super("no backend with id '" + id + "'; known backends: "
                + (known.isEmpty() ? "none" : String.join(", ", known.stream().map(Backend::id).toList())));
    }
}
