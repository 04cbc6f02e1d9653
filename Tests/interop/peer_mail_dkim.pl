#!/usr/bin/perl
# Mail::DKIM peer driver for the interop matrix (Tests/interop/matrix.py); Debian's libmail-dkim-perl.
#
# sign   --key PEM --domain D --selector S [--canonicalization H/B] [--algorithm A] [--now EPOCH]
#        [--expire-after SECONDS] [--identity I] [--oversign h1:h2] --out-dir DIR IN...
#        Each input is read, bare LF turned into CRLF (RFC 6376 §5.3) and a missing final CRLF added (the
#        SMTP form, see verify), signed, and DIR/<basename> gets the
#        DKIM-Signature field + CRLF message. A = rsa-sha256 (default) or rsa-sha1. The signed fields are
#        Mail::DKIM's defaults (the RFC 6376 §5.4.1 list of those present); --oversign names fields listed
#        once more in h= (RFC 6376 §5.4.2: an added instance then breaks the signature).
# verify --nameserver 127.0.0.1:PORT [--as-is] FILE...
#        One JSON line per file: {"file", "result", "signatures": [{"index", "result", "reason", "domain",
#        "selector", "algorithm"}]}. Mail::DKIM's per-signature result "invalid" is reported as permerror;
#        reason is Mail::DKIM's result_detail. Keys come from the given server (Net::DNS resolver).
#        The message is handed over in its SMTP form: CRLF line endings and a final CRLF (RFC 5321 §4.1.1.4;
#        Mail::DKIM's simple body canonicalization does not add the missing final CRLF RFC 6376 §3.4.3
#        asks for, see docs/interop.md). --as-is only turns bare LF into CRLF.
# version
#        Prints the Mail::DKIM version.
use strict;
use warnings;

use Getopt::Long qw(GetOptionsFromArray);
use JSON::PP;
use Mail::DKIM 0.40;
use Mail::DKIM::DNS;
use Mail::DKIM::Signer;
use Mail::DKIM::Signature;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;

sub slurp {
    my ($path) = @_;
    open( my $fh, '<:raw', $path ) or die "peer_mail_dkim: cannot read $path: $!\n";
    local $/;
    my $data = <$fh>;
    close $fh;
    return defined $data ? $data : '';
}

sub to_crlf {
    my ($data) = @_;
    $data =~ s/(?<!\r)\n/\r\n/g;
    return $data;
}

sub cmd_sign {
    my @args = @_;
    my %o = ( canonicalization => 'relaxed/relaxed', algorithm => 'rsa-sha256' );
    GetOptionsFromArray( \@args, \%o, 'key=s', 'domain=s', 'selector=s', 'canonicalization=s', 'algorithm=s',
        'now=i', 'expire-after=i', 'identity=s', 'oversign=s', 'out-dir=s' )
      or exit 64;
    for my $required (qw(key domain selector out-dir)) {
        die "peer_mail_dkim: sign needs --$required\n" unless defined $o{$required};
    }
    die "peer_mail_dkim: Mail::DKIM $Mail::DKIM::VERSION has no $o{algorithm}\n"
      unless $o{algorithm} eq 'rsa-sha256' || $o{algorithm} eq 'rsa-sha1';
    my $failures = 0;
    for my $in (@args) {
        my $message = to_crlf( slurp($in) );
        $message .= "\r\n" unless $message eq '' || $message =~ /\r\n\z/;    # SMTP form, as in verify
        my $now     = defined $o{now} ? $o{now} : time();
        my $policy  = sub {
            my $signer = shift;
            $signer->add_signature(
                Mail::DKIM::Signature->new(
                    Algorithm => $o{algorithm},
                    Method    => $o{canonicalization},
                    Headers   => join( ':', $signer->headers, ( defined $o{oversign} ? $o{oversign} : () ) ),
                    Domain    => $o{domain},
                    Selector  => $o{selector},
                    Timestamp => $now,
                    ( defined $o{'expire-after'} ? ( Expiration => $now + $o{'expire-after'} ) : () ),
                    ( defined $o{identity}       ? ( Identity   => $o{identity} )              : () ),
                )
            );
            return;
        };
        my $dkim = Mail::DKIM::Signer->new( Policy => $policy, KeyFile => $o{key} );
        $dkim->PRINT($message);
        $dkim->CLOSE;
        my $sig = $dkim->signature;
        if ( !$sig ) {
            warn "peer_mail_dkim: $in: no signature made\n";
            $failures++;
            next;
        }
        my $field = $sig->as_string;
        $field =~ s/(?<!\r)\n/\r\n/g;
        ( my $base = $in ) =~ s{.*/}{};
        open( my $out, '>:raw', "$o{'out-dir'}/$base" ) or die "peer_mail_dkim: cannot write: $!\n";
        print $out $field, "\r\n", $message;
        close $out;
    }
    return $failures ? 1 : 0;
}

sub cmd_verify {
    my @args = @_;
    my %o;
    GetOptionsFromArray( \@args, \%o, 'nameserver=s', 'as-is' ) or exit 64;
    die "peer_mail_dkim: verify needs --nameserver HOST:PORT\n" unless $o{nameserver};
    my ( $host, $port ) = split /:/, $o{nameserver};
    $port ||= 53;
    Mail::DKIM::DNS::resolver(
        Net::DNS::Resolver->new(
            nameservers => [$host],
            port        => $port,
            recurse     => 1,
            udp_timeout => 5,
            tcp_timeout => 5,
            retry       => 2,
        )
    );
    my $json = JSON::PP->new->canonical;
    for my $path (@args) {
        my $dkim = Mail::DKIM::Verifier->new;
        my $message = to_crlf( slurp($path) );
        $message .= "\r\n" unless $o{'as-is'} || $message eq '' || $message =~ /\r\n\z/;
        $dkim->PRINT($message);
        $dkim->CLOSE;
        my @sigs;
        my $index = 0;
        for my $sig ( $dkim->signatures ) {
            my $result = $sig->result // 'none';
            $result = 'permerror' if $result eq 'invalid';
            push @sigs, {
                index     => $index++,
                result    => $result,
                reason    => scalar( $sig->result_detail ),
                domain    => scalar( $sig->domain ),
                selector  => scalar( $sig->selector ),
                algorithm => scalar( $sig->algorithm ),
            };
        }
        my $result = $dkim->result // 'none';
        $result = 'permerror' if $result eq 'invalid';
        print $json->encode( { file => $path, result => $result, signatures => \@sigs } ), "\n";
    }
    return 0;
}

my $command = shift @ARGV // '';
if    ( $command eq 'sign' )    { exit cmd_sign(@ARGV) }
elsif ( $command eq 'verify' )  { exit cmd_verify(@ARGV) }
elsif ( $command eq 'version' ) { print "Mail::DKIM $Mail::DKIM::VERSION\n"; exit 0 }
die "usage: peer_mail_dkim.pl sign|verify|version ...\n";
