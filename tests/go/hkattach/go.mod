module wslgo.test/hkattach

go 1.21
