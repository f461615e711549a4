module dwsyms

go 1.21
