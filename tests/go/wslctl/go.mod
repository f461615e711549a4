module example.com/wslctl

go 1.21
