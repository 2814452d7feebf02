#!/usr/bin/perl
# A Test::More script: the TAP that prove reads.
use strict;
use warnings;
use Test::More tests => 6;

ok(1, 'first passes');
is(2 + 2, 5, 'arithmetic is wrong');
SKIP: {
    skip 'no network here', 1;
    ok(0, 'network test');
}
TODO: {
    local $TODO = 'not written yet';
    ok(0, 'future feature');
}
like('hello world', qr/world/, 'pattern matches');
subtest 'nested group' => sub {
    plan tests => 2;
    ok(1, 'inner one');
    ok(0, 'inner two');
};
