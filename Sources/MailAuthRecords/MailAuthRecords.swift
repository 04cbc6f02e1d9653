// MailAuthRecords: the sender-policy records a DKIM deployment sits next to — SPF (RFC 7208) and
// DMARC (RFC 9989) — parsed, linted and evaluated over DKIMCore's DNS resolver (`DNSQuerying`).
import DKIMCore
