module wslgo.test/pprofgr

go 1.21
