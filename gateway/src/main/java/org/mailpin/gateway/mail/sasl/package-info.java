/**
 * SASL PLAIN and LOGIN decoding and validation shared by the mail protocol proxies: every login
 * a client sends goes through {@link org.mailpin.gateway.mail.sasl.Credentials#validate()} before
 * the proxy writes it to a backend.
 */
package org.mailpin.gateway.mail.sasl;
