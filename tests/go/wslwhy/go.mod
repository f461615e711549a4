module example.com/wslwhy

go 1.21
