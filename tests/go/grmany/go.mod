module wslgo.test/grmany

go 1.21
