# Helpers for the Tcl expect tests (source [file join $env(OVERLAY_SRC) tests/expect/lib.tcl]).
#
#   ov_fail MSG                 print "FAIL: MSG", run the cleanups, exit 1
#   ov_on_exit SCRIPT           run SCRIPT (at global level) before exiting
#   ov_run STATUS PATTERNS CMD...
#                               spawn CMD on a pty (stdout and stderr as a
#                               person sees them), expect each regular
#                               expression of PATTERNS in order, then the
#                               end and exit STATUS; returns everything read
#   ov_out CMD...               run CMD (exec), fail unless it exits 0;
#                               returns its standard output
#   ov_status CMD...            exit status of CMD (output discarded)
#   ov_parsable LINE            split a parsable line on unescaped ':' and
#                               unescape each field ("\:" -> ":", "\\" -> "\")
#   ov_json TEXT                parse JSON into Tcl values: an object becomes
#                               a dict, an array a list, a string/number the
#                               value, true/false 1/0, null ""
#   ov_check DESC GOT WANT      fail unless GOT equals WANT
#
# Theory: the tests drive programs as an operator would, so every check is on
# what a person sees (text, exit status) or on the documented machine output
# (-p and -j), parsed field by field here rather than grepped.

set timeout 30
set ov_cleanups {}

proc ov_on_exit {script} {
    global ov_cleanups
    lappend ov_cleanups $script
}

proc ov_cleanup {} {
    global ov_cleanups
    foreach s [lreverse $ov_cleanups] {
        catch {uplevel #0 $s}
    }
    set ov_cleanups {}
}

proc ov_fail {msg} {
    puts stderr "FAIL: $msg"
    ov_cleanup
    exit 1
}

proc ov_run {status patterns args} {
    set what [join $args " "]
    set all ""
    spawn -noecho {*}$args
    foreach re $patterns {
        expect {
            -re $re { append all $expect_out(buffer) }
            timeout { ov_fail "$what: timed out waiting for /$re/" }
            eof { ov_fail "$what: ended before /$re/ (output: $all$expect_out(buffer))" }
        }
    }
    expect {
        eof { append all $expect_out(buffer) }
        timeout { ov_fail "$what: did not end" }
    }
    set got [lindex [wait] 3]
    if {$got != $status} {
        ov_fail "$what: exit status $got, wanted $status (output: $all)"
    }
    puts "ok: $what"
    return $all
}

proc ov_out {args} {
    if {[catch {exec {*}$args 2>@1} out opts]} {
        ov_fail "[join $args " "] failed: $out"
    }
    return $out
}

proc ov_status {args} {
    if {[catch {exec {*}$args >/dev/null 2>/dev/null} out opts]} {
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] eq "CHILDSTATUS"} {
            return [lindex $ec 2]
        }
        return 255
    }
    return 0
}

proc ov_check {desc got want} {
    if {$got ne $want} {
        ov_fail "$desc: got \"$got\", wanted \"$want\""
    }
}

proc ov_parsable {line} {
    set fields {}
    set cur ""
    set n [string length $line]
    for {set i 0} {$i < $n} {incr i} {
        set c [string index $line $i]
        if {$c eq "\\" && $i + 1 < $n} {
            incr i
            append cur [string index $line $i]
        } elseif {$c eq ":"} {
            lappend fields $cur
            set cur ""
        } else {
            append cur $c
        }
    }
    lappend fields $cur
    return $fields
}

# --- A small JSON reader (objects, arrays, strings, numbers, literals).
proc ov_json {text} {
    set pos 0
    set v [ov_json_value $text pos]
    ov_json_ws $text pos
    if {$pos != [string length $text]} {
        ov_fail "JSON: trailing text at $pos: [string range $text $pos [expr {$pos + 20}]]"
    }
    return $v
}

proc ov_json_ws {text posv} {
    upvar $posv pos
    while {[string is space -strict [string index $text $pos]]} {
        incr pos
    }
}

proc ov_json_value {text posv} {
    upvar $posv pos
    ov_json_ws $text pos
    set c [string index $text $pos]
    switch -- $c {
        "\{" {
            incr pos
            set d [dict create]
            ov_json_ws $text pos
            if {[string index $text $pos] eq "\}"} {
                incr pos
                return $d
            }
            while 1 {
                ov_json_ws $text pos
                set k [ov_json_value $text pos]
                ov_json_ws $text pos
                if {[string index $text $pos] ne ":"} {
                    ov_fail "JSON: expected ':' at $pos"
                }
                incr pos
                dict set d $k [ov_json_value $text pos]
                ov_json_ws $text pos
                set c [string index $text $pos]
                incr pos
                if {$c eq "\}"} {
                    return $d
                }
                if {$c ne ","} {
                    ov_fail "JSON: expected ',' or '\}' at [expr {$pos - 1}]"
                }
            }
        }
        "\[" {
            incr pos
            set l {}
            ov_json_ws $text pos
            if {[string index $text $pos] eq "\]"} {
                incr pos
                return $l
            }
            while 1 {
                lappend l [ov_json_value $text pos]
                ov_json_ws $text pos
                set c [string index $text $pos]
                incr pos
                if {$c eq "\]"} {
                    return $l
                }
                if {$c ne ","} {
                    ov_fail "JSON: expected ',' or '\]' at [expr {$pos - 1}]"
                }
            }
        }
        "\"" {
            incr pos
            set s ""
            while 1 {
                set c [string index $text $pos]
                if {$c eq ""} {
                    ov_fail "JSON: unterminated string"
                }
                incr pos
                if {$c eq "\""} {
                    return $s
                }
                if {$c eq "\\"} {
                    set e [string index $text $pos]
                    incr pos
                    switch -- $e {
                        n { append s "\n" }
                        t { append s "\t" }
                        r { append s "\r" }
                        b { append s "\b" }
                        f { append s "\f" }
                        u {
                            append s [format %c [scan [string range $text $pos [expr {$pos + 3}]] %x]]
                            incr pos 4
                        }
                        default { append s $e }
                    }
                } else {
                    append s $c
                }
            }
        }
        default {
            if {[regexp {\A(-?[0-9][0-9.eE+-]*|true|false|null)} [string range $text $pos end] m]} {
                incr pos [string length $m]
                switch -- $m {
                    true { return 1 }
                    false { return 0 }
                    null { return "" }
                }
                return $m
            }
            ov_fail "JSON: unexpected '[string index $text $pos]' at $pos"
        }
    }
}
