package org.mailpin.gateway.doctor;

/**
 * One way in which the backends disagree.
 *
 * @param backend  id of the backend that differs, or null when no single backend can be blamed
 * @param service  the service concerned
 * @param text     a sentence for the administrator, quoting the backend's reply where there is one
 */
public record Finding(String backend, Service service, String text) {
}
