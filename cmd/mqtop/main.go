package main

import (
	"fmt"

	"github.com/mqtop/mqtop/internal/version"
)

func main() { fmt.Println(version.Get()) }
