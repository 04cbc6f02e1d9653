#!/usr/bin/perl
# Mail::DKIM timing driver for Benchmarks/peers.py: signs and verifies the corpus that `dkimtool bench --corpus`
# wrote, looping inside this process (start-up excluded), and prints one JSON line per cell.
#
#   peer_bench_mail_dkim.pl CORPUS SECONDS ROUNDS SIZE,... CANON,...
#
# Keys come from CORPUS/txt-records: Mail::DKIM::DNS::query is replaced by a table lookup, so no DNS is involved.
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS;
use Time::HiRes qw(time);

my ( $corpus, $seconds, $rounds, $sizes, $canons ) = @ARGV;
die "usage: $0 CORPUS SECONDS ROUNDS SIZES CANONS\n" unless defined $canons;

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "cannot read $path: $!\n";
    local $/;
    return scalar <$fh>;
}

my %records;
for my $line ( split /\n/, slurp("$corpus/txt-records") ) {
    my ( $name, $value ) = split / /, $line, 2;
    $records{ lc $name } = $value;
}
{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ( $name, $type ) = @_;
        my $value = $records{ lc $name } // return;
        my @strings = unpack '(A255)*', $value;
        return ( Net::DNS::RR->new( name => $name, type => 'TXT', txtdata => \@strings ) );
    };
}

sub best_rate {
    my ($work) = @_;
    my $best = 0;
    for ( 1 .. $rounds ) {
        my ( $start, $count, $elapsed ) = ( time, 0, 0 );
        do { $work->(); $count++; $elapsed = time - $start } while $elapsed < $seconds;
        $best = $count / $elapsed if $count / $elapsed > $best;
    }
    return $best;
}

my %selector = ( 'rsa-sha256' => 'rsa', 'ed25519-sha256' => 'ed' );
for my $canon ( split /,/, $canons ) {
    ( my $tag = $canon ) =~ s{/}{-};
    for my $op (qw(sign verify)) {
        for my $alg ( 'rsa-sha256', 'ed25519-sha256' ) {
            my $sel = $selector{$alg};
            for my $size ( split /,/, $sizes ) {
                my $rate;
                my $error = '';
                eval {
                    if ( $op eq 'sign' ) {
                        my $message = slurp("$corpus/msg-$size.eml");
                        my $keyfile = "$corpus/$sel.private";
                        my $once = sub {
                            my $dkim = Mail::DKIM::Signer->new(
                                Algorithm => $alg, Method => $canon, Domain => 'example.com',
                                Selector => $sel, KeyFile => $keyfile,
                            );
                            $dkim->PRINT($message);
                            $dkim->CLOSE;
                            die "no signature\n" unless $dkim->signature;
                        };
                        $once->();
                        $rate = best_rate($once);
                    } else {
                        my $signed = slurp("$corpus/signed-$sel-$tag-$size.eml");
                        my $once = sub {
                            my $dkim = Mail::DKIM::Verifier->new;
                            $dkim->PRINT($signed);
                            $dkim->CLOSE;
                            die "verify: " . ( $dkim->result_detail // 'none' ) . "\n" unless $dkim->result eq 'pass';
                        };
                        $once->();
                        $rate = best_rate($once);
                    }
                    1;
                } or do { $error = $@; chomp $error; };
                my $value = defined $rate ? sprintf( '%.2f', $rate ) : 'null';
                $error =~ s/["\\]/ /g;
                print qq({"op":"$op","algorithm":"$alg","c":"$canon","bytes":$size,"msgsPerSecond":$value,)
                    . qq("error":"$error"}\n);
            }
        }
    }
}
