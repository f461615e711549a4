module example.com/fakedlv

go 1.21
