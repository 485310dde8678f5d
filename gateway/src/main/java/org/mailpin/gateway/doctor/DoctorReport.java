package org.mailpin.gateway.doctor;

import java.util.List;

import org.mailpin.director.Backend;

/**
 * Everything doctor found out about one user.
 *
 * @param user        the user name as the gateway normalizes it, which doctor logged in with
 * @param ringChoice  the backend the config's ring picks for the user, or null when no backend has vhosts
 * @param assignment  what a running gateway reports, or null when its admin API was not reachable
 * @param backends    the checks of every configured backend, in config order
 * @param findings    how the backends disagree; empty when they agree
 */
public record DoctorReport(String user, Backend ringChoice, Assignment assignment, List<BackendReport> backends,
                           List<Finding> findings) {

    public boolean agree() {
        return findings.isEmpty();
    }

    public String verdict() {
        return Verdict.of(this);
    }
}
