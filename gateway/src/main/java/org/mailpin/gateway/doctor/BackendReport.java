package org.mailpin.gateway.doctor;

import java.util.List;
import java.util.Optional;

import org.mailpin.director.Backend;

/** The checks of one backend, one per service the backend has a port for. */
public record BackendReport(Backend backend, List<ServiceCheck> checks) {

    public Optional<ServiceCheck> check(Service service) {
        return checks.stream().filter(c -> c.service() == service).findFirst();
    }
}
