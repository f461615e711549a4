module wslgo.test/bngr

go 1.21
