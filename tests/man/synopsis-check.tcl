# synopsis-check BINDIR MANDIR: every installed command's usage (what
# `CMD --help` prints) and its man page's SYNOPSIS (mandoc's rendering of the
# mdoc source) name the same subcommands and the same option letters for each
# subcommand, so the two cannot drift apart. Also: `-h` and `--help` both
# print that usage on standard output, nothing on standard error, exit 0.
#
# Both texts are read the same way. A line that starts with the command's
# name begins a record (ovctl's usage lists its commands under "commands:",
# one a line, and those lines begin records too); an indented line continues
# it. Inside a record, at bracket depth 0: the first bare lowercase word is
# the subcommand, and so is the first word after a standalone "|"
# ("status | plugins | ..."); the placeholders "subcommand" and "command"
# are none. An option is a token -X, -XY (each letter) or --long; it belongs
# to the subcommand seen before it in the record, or to the command itself
# ("global") before any.
# Exit 0 when every command matches, 1 listing each difference.

proc tokens {text} {
    set out {}
    foreach chunk [regexp -all -inline {\S+} $text] {
        foreach t [regexp -all -inline {[\[\]()]|[^\[\]()]+} $chunk] {
            lappend out $t
        }
    }
    return $out
}

# Records of CMD in TEXT: a list of {sub option} pairs (sub "" is global)
# and bare subcommands as {sub ""}.
proc facts {cmd text} {
    set records {}
    set cur ""
    set incommands 0
    foreach line [split $text \n] {
        set l [string trimright $line]
        regsub {^usage:\s*} $l "" l
        if {$l eq "commands:"} {
            set incommands 1
            continue
        }
        set t [string trimleft $l]
        if {[string match "$cmd *" "$t "]} {
            if {$cur ne ""} { lappend records $cur }
            set cur [string range $t [string length $cmd] end]
        } elseif {$incommands && [regexp {^  \S} $l]} {
            if {$cur ne ""} { lappend records $cur }
            set cur $t
        } elseif {$t ne "" && $cur ne ""} {
            append cur " " $t
        }
    }
    if {$cur ne ""} { lappend records $cur }
    set facts {}
    foreach r $records {
        set depth 0
        set sub ""
        set want 1 ;# a bare word here is a subcommand
        foreach tok [tokens $r] {
            switch -- $tok {
                "\[" - "(" { incr depth; continue }
                "\]" - ")" { incr depth -1; continue }
            }
            if {$tok eq "|" && $depth == 0} {
                set want 1
                continue
            }
            if {[regexp {^--[a-z][a-z-]*$} $tok]} {
                lappend facts [list $sub $tok]
                if {$depth == 0} { set want 0 }
                continue
            }
            if {[regexp {^-([A-Za-z0-9]+)$} $tok -> letters]} {
                foreach c [split $letters ""] { lappend facts [list $sub -$c] } ;# -fv
                if {$depth == 0} { set want 0 }
                continue
            }
            if {$want && $depth == 0 && [regexp {^[a-z][a-z0-9-]*$} $tok]} {
                if {$tok ni {subcommand command}} {
                    set sub $tok
                    lappend facts [list $sub ""]
                }
                set want 0
                continue
            }
            if {$depth == 0} { set want 0 }
        }
    }
    return [lsort -unique $facts]
}

proc synopsis {page} {
    if {[catch {exec mandoc -Tascii -O width=1000 $page | col -b} out]} {
        error "mandoc $page: $out"
    }
    set keep 0
    set s {}
    foreach line [split $out \n] {
        if {[regexp {^[A-Z]} $line]} {
            set keep [expr {$line eq "SYNOPSIS"}]
            continue
        }
        if {$keep} { append s $line \n }
    }
    return $s
}

lassign $argv bindir mandir
set commands {
    varpd         man8/varpd.8
    overlayadm    man8/overlayadm.8
    overlay-snoop man8/overlay-snoop.8
    varpd-ctl     man8/varpd-ctl.8
    ovctl         man8/ovctl.8
}
set bad 0
proc fail {msg} {
    global bad
    puts $msg
    incr bad
}
foreach {cmd page} $commands {
    set usage ""
    foreach flag {--help -h} {
        set rc [catch {exec $bindir/$cmd $flag 2>@1} out opts]
        if {$rc} {
            fail "$cmd $flag: exit status or standard error: [string range $out 0 200]"
            continue
        }
        if {![string match "usage: $cmd *" $out]} {
            fail "$cmd $flag does not print its usage: [string range $out 0 80]"
        }
        if {$usage eq ""} {
            set usage $out
        } elseif {$usage ne $out} {
            fail "$cmd -h and --help print different text"
        }
    }
    if {![file exists $mandir/$page]} {
        fail "$cmd: no man page $mandir/$page"
        continue
    }
    set u [facts $cmd $usage]
    set m [facts $cmd [synopsis $mandir/$page]]
    if {[llength $u] == 0} { fail "$cmd: nothing read from its usage" }
    foreach f $u {
        if {$f ni $m} { fail "$cmd: usage has [lindex $f 0]:[lindex $f 1], $page's SYNOPSIS does not" }
    }
    foreach f $m {
        if {$f ni $u} { fail "$cmd: $page's SYNOPSIS has [lindex $f 0]:[lindex $f 1], its usage does not" }
    }
    if {[llength $u] && $u eq $m} {
        puts "$cmd: [llength $u] subcommand/option facts agree with $page"
    }
}
exit [expr {$bad ? 1 : 0}]
